// The SDK's asc transform: renames the export `handle_message` to `handle-message`, the
// name docs/ABI.md gives it (an AssemblyScript identifier cannot hold a '-', and asc has
// no way to export under another name). Loaded by bin/troupe-asc.js.
import { Transform } from "assemblyscript/transform";

export default class TroupeExports extends Transform {
  afterCompile(module) {
    const ref = module.getExport("handle_message");
    if (!ref) return;
    const info = this.binaryen.getExportInfo(ref);
    module.removeExport("handle_message");
    module.addFunctionExport(info.value, "handle-message");
  }
}
