/* tests/wasi/programs/unlinkable.c: for the CLI tests: imports a function no host
 * provides, so instantiation must fail with a clear message. */
__attribute__((import_module("env"), import_name("not_provided"))) int not_provided(int);

int main(void) { return not_provided(1); }
