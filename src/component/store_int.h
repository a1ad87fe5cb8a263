/*
 * component/store_int.h: what the store files share among themselves and nothing else
 * needs (the rest of the layer sees stores only through include/troupe/store.h): the
 * reference grammar's pieces, version ordering, a reference's text form for messages,
 * and a way for a store's own calls (troupe_store_mem_add) to find their state.
 */
#ifndef TROUPE_SRC_COMPONENT_STORE_INT_H
#define TROUPE_SRC_COMPONENT_STORE_INT_H

#include "component/comp.h"

#define TRP_MODULE_NAME_MAX 128
#define TRP_MODULE_VERSION_MAX 64

/* ref.c: the grammar of store.h, for strings that do not come through a reference
 * (a directory entry, troupe_store_mem_add's arguments). */
bool trP_module_name_ok(const char *s, size_t len);
bool trP_module_version_ok(const char *s, size_t len);
/* "name", "name@version" or "sha256:hex" into buf (cap >= 200 holds every form). */
void trP_module_ref_format(const troupe_module_ref *ref, char *buf, size_t cap);

/* store.c: the implementation state of s when s was made with ops, else NULL. */
void *trP_store_impl(troupe_store *s, const troupe_store_ops *ops);

#endif
