// The SDK against the contract (run by ctest as component_sdk_as; node, no dependency):
// its error codes and names (assembly/consts.ts, the Err namespace and the
// ERROR_CODES / ERROR_NAMES list) are exactly docs/ABI.md's error table (ranges
// included) and exactly the C SDK's TROUPE_GUEST_ERROR_LIST (sdk/c/troupe_guest.h,
// itself checked against the host by tests/component/sdk/test_sdk_constants.c); the
// message kinds and DOWN exit kinds are the document's; assembly/abi.ts declares every
// import the document lists, and no other, with its parameter types.
// The twin of sdk/rust/tests/abi_tables.rs.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const sdk = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const read = (rel) => fs.readFileSync(path.join(sdk, rel), "utf8");
const doc = read("../../docs/ABI.md");
const consts = read("assembly/consts.ts");
const abi = read("assembly/abi.ts");

/** The rows of the first table under "## <section>": cells trimmed, without backticks. */
function table(section) {
  const rows = [];
  let inside = false, lines = 0;
  for (const line of doc.split("\n")) {
    if (line.startsWith("## ")) {
      if (inside) break;
      inside = line.slice(3).startsWith(section);
      continue;
    }
    if (!inside) continue;
    if (!line.startsWith("|")) { if (lines > 0) break; continue; }
    if (++lines <= 2) continue;
    rows.push(line.replace(/^\||\|$/g, "").split("|").map((c) => c.trim().replace(/`/g, "")));
  }
  assert.ok(rows.length > 0, `no table under ## ${section}`);
  return rows;
}

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

function listed(name) {
  const m = consts.match(new RegExp(`export const ${name}: \\w+\\[\\] = \\[([^\\]]*)\\]`));
  assert.ok(m, `no ${name} in consts.ts`);
  return m[1].split(",").map((s) => s.trim()).filter((s) => s.length);
}

function ours() {
  const codes = listed("ERROR_CODES").map(Number);
  const names = listed("ERROR_NAMES").map((s) => JSON.parse(s));
  assert.equal(codes.length, names.length, "ERROR_CODES and ERROR_NAMES differ in length");
  const map = new Map(codes.map((c, i) => [c, names[i]]));
  assert.equal(map.size, codes.length, "two names share a code");
  // The Err namespace says the same: Err.NAME = code for every listed error.
  const ns = new Map();
  for (const m of consts.matchAll(/export const ([A-Z_]+): i32 = (-\d+);/g)) ns.set(m[1], Number(m[2]));
  for (const [c, n] of map) assert.equal(ns.get(n), c, `Err.${n}`);
  assert.equal(ns.size, map.size, "Err has a constant the list lacks");
  return map;
}

test("errors are the C SDK's", () => {
  const h = read("../c/troupe_guest.h");
  const c = new Map();
  for (const m of h.matchAll(/^\s*X\((\w+),\s*(-?\d+)\)/gm)) if (Number(m[2]) !== 0) c.set(Number(m[2]), m[1]);
  assert.ok(c.size > 20, `read only ${c.size} codes from the C SDK`);
  assert.deepEqual(new Map([...ours()].sort()), new Map([...c].sort()));
});

test("errors are the document's", () => {
  const mine = ours();
  const documented = new Map();
  for (const [code, name] of table("Error codes")) {
    if (code.includes("..")) {
      // "-20..-28 | EMPTY … TOO_DEEP": the ends named so, every code between that the
      // SDK knows belongs to the range (the host leaves gaps).
      const [hi, lo] = code.split("..").map(Number);
      const words = name.split(/\s+/);
      assert.equal(mine.get(hi), words[0], `range ${code}`);
      assert.equal(mine.get(lo), words[words.length - 1], `range ${code}`);
      for (let c = lo; c <= hi; c++) if (mine.has(c)) documented.set(c, mine.get(c));
    } else {
      documented.set(Number(code), name);
    }
  }
  assert.deepEqual(new Map([...mine].sort()), new Map([...documented].sort()));
});

test("kinds are the document's", () => {
  const kinds = new Map();
  for (const m of consts.match(/namespace Kind \{([^}]*)\}/)[1].matchAll(/const (\w+): i32 = (\d+)/g))
    kinds.set(m[1], Number(m[2]));
  const rows = table("Message kinds");
  assert.equal(rows.length, kinds.size);
  const names = JSON.parse(consts.match(/const KIND_NAMES: string\[\] = (\[[^\]]*\])/)[1]);
  for (const row of rows) {
    assert.equal(kinds.get(row[0]), Number(row[1]), row[0]);
    assert.equal(names[Number(row[1])], row[0]);
  }
  const down = doc.split("\n").find((l) => l.startsWith("| DOWN"));
  for (const m of consts.match(/namespace Down \{([^}]*)\}/)[1].matchAll(/const (\w+): i32 = (\d+)/g))
    assert.ok(down.includes(`${m[2]} ${m[1].toLowerCase()}`), `${m[2]} ${m[1]}`);
});

test("imports are the document's", () => {
  const declared = new Map();
  for (const m of abi.matchAll(/@external\("troupe", "(\w+)"\)\s*export declare function \w+\(([^)]*)\): (\w+)/g)) {
    const params = m[2].split(",").map((p) => p.trim()).filter(Boolean)
      .map((p) => p.split(":")[1].trim()).map((t) => (t === "usize" ? "i32" : t));
    declared.set(m[1], `[${params.join(", ")}] -> [${m[3]}]`);
  }
  const documented = new Map();
  for (const [name, type] of table("Imports")) {
    const [p, r] = type.split("->");
    const ts = (s) => [...s.matchAll(/i32|i64/g)].map((x) => x[0]);
    documented.set(name, `[${ts(p).join(", ")}] -> [${ts(r).join(", ")}]`);
  }
  assert.ok(documented.size >= 20);
  assert.deepEqual(new Map([...declared].sort()), new Map([...documented].sort()));
});

test("multicodec prefixes", () => {
  assert.ok(doc.includes("Borsh `0x701`") && doc.includes("CBOR `0x51`") && doc.includes("JSON `0x0200`"));
  const mc = (n) => Number(consts.match(new RegExp(`${n}: u32 = (0x[0-9a-f]+)`))[1]);
  assert.deepEqual([mc("MC_CBOR"), mc("MC_JSON"), mc("MC_BORSH")], [0x51, 0x0200, 0x0701]);
});

let failed = 0;
for (const [name, fn] of tests) {
  try { fn(); console.log(`ok: ${name}`); } catch (e) { failed++; console.log(`FAIL: ${name}: ${e.message}`); }
}
process.exit(failed ? 1 : 0);
