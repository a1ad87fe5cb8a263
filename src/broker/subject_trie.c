/*
 * broker/subject_trie.c: the subscription index, a token-level trie in the manner of
 * nats-server's sublist. Each node has its literal children in a small chained hash
 * map plus at most one `*` child and one `>` child, and the subscriptions whose pattern
 * ends there. Matching a subject of n tokens follows at most the literal child and the
 * `*` child per level, so its cost depends on the subject and the wildcard patterns
 * along its path, never on how many unrelated subscriptions exist. No recursion: a
 * subject with a million tokens walks an explicit heap stack.
 */
#include "broker/broker.h"

enum { TRU_SN_ROOT = 0, TRU_SN_LIT = 1, TRU_SN_PWC = 2, TRU_SN_FWC = 3 };

struct trU_snode {
  trU_snode *parent;
  trU_snode *hnext;     /* chain in parent's literal map */
  uint64_t hash;        /* of the token (literal nodes) */
  trU_snode **lit;      /* literal children: nlitb buckets (power of two) or NULL */
  size_t nlit, nlitb;
  trU_snode *pwc, *fwc; /* `*` and `>` children */
  trU_sub **subs;
  uint32_t nsubs, capsubs;
  uint8_t kind;
  size_t tlen;
  char tok[]; /* literal token, not NUL-terminated */
};

struct trU_strie {
  trU_snode *root;
  size_t nodes;
};

/* ---- subvec --------------------------------------------------------------------- */
void trU_subvec_init(trU_subvec *sv) {
  sv->v = sv->inl;
  sv->n = 0;
  sv->cap = TR_ARRAY_LEN(sv->inl);
}

void trU_subvec_free(trU_subvec *sv) {
  if (sv->v != sv->inl)
    free(sv->v);
  trU_subvec_init(sv);
}

static int subvec_push(trU_subvec *sv, trU_sub *s) {
  if (sv->n == sv->cap) {
    size_t cap = sv->cap * 2;
    trU_sub **v = sv->v == sv->inl ? trB_malloc(cap * sizeof *v)
                                   : trB_realloc_array(sv->v, cap, sizeof *v);
    if (!v)
      return TROUPE_E_NOMEM;
    if (sv->v == sv->inl)
      memcpy(v, sv->inl, sizeof sv->inl);
    sv->v = v;
    sv->cap = cap;
  }
  sv->v[sv->n++] = s;
  return TROUPE_OK;
}

/* ---- nodes ---------------------------------------------------------------------- */
static uint64_t tok_hash(const char *p, size_t len) {
  return troupe_hash64(p, len, 0x7375626a65637473ull);
}

static trU_snode *node_new(trU_strie *t, trU_snode *parent, int kind, const trU_tok *tok) {
  size_t tlen = kind == TRU_SN_LIT ? tok->len : 0;
  trU_snode *n = trB_calloc(1, sizeof *n + tlen);
  if (!n)
    return NULL;
  n->parent = parent;
  n->kind = (uint8_t)kind;
  n->tlen = tlen;
  if (tlen) {
    memcpy(n->tok, tok->p, tlen);
    n->hash = tok_hash(tok->p, tlen);
  }
  t->nodes++;
  return n;
}

static trU_snode *lit_find(const trU_snode *n, const trU_tok *tok, uint64_t h) {
  if (!n->nlitb)
    return NULL;
  for (trU_snode *c = n->lit[h & (n->nlitb - 1)]; c; c = c->hnext)
    if (c->hash == h && c->tlen == tok->len && memcmp(c->tok, tok->p, tok->len) == 0)
      return c;
  return NULL;
}

/* Keep the load factor at most 1 so a lookup inspects O(1) chain entries. */
static int lit_add(trU_snode *n, trU_snode *c) {
  if (n->nlit + 1 > n->nlitb) {
    size_t nb = n->nlitb ? n->nlitb * 2 : 4;
    trU_snode **b = trB_calloc(nb, sizeof *b);
    if (!b)
      return TROUPE_E_NOMEM;
    for (size_t i = 0; i < n->nlitb; i++) {
      for (trU_snode *x = n->lit[i], *next; x; x = next) {
        next = x->hnext;
        x->hnext = b[x->hash & (nb - 1)];
        b[x->hash & (nb - 1)] = x;
      }
    }
    free(n->lit);
    n->lit = b;
    n->nlitb = nb;
  }
  trU_snode **head = &n->lit[c->hash & (n->nlitb - 1)];
  c->hnext = *head;
  *head = c;
  n->nlit++;
  return TROUPE_OK;
}

static void lit_del(trU_snode *n, trU_snode *c) {
  for (trU_snode **pp = &n->lit[c->hash & (n->nlitb - 1)]; *pp; pp = &(*pp)->hnext) {
    if (*pp == c) {
      *pp = c->hnext;
      n->nlit--;
      break;
    }
  }
  if (n->nlit == 0) { /* an emptied map gives its buckets back */
    free(n->lit);
    n->lit = NULL;
    n->nlitb = 0;
  }
}

static bool node_empty(const trU_snode *n) {
  return !n->nsubs && !n->nlit && !n->pwc && !n->fwc;
}

/* Unhook and free empty nodes from n up towards (not including) the root. */
static void prune(trU_strie *t, trU_snode *n) {
  while (n && n->kind != TRU_SN_ROOT && node_empty(n)) {
    trU_snode *p = n->parent;
    if (n->kind == TRU_SN_LIT)
      lit_del(p, n);
    else if (n->kind == TRU_SN_PWC)
      p->pwc = NULL;
    else
      p->fwc = NULL;
    free(n->subs);
    free(n);
    t->nodes--;
    n = p;
  }
}

/* ---- trie ----------------------------------------------------------------------- */
trU_strie *trU_strie_new(void) {
  trU_strie *t = trB_calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->root = node_new(t, NULL, TRU_SN_ROOT, NULL);
  if (!t->root) {
    free(t);
    return NULL;
  }
  return t;
}

void trU_strie_free(trU_strie *t) {
  if (!t)
    return;
  /* Iterative post-order: detach a leaf child, descend; free a node once it is empty. */
  trU_snode *n = t->root;
  while (n) {
    trU_snode *c = NULL;
    if (n->fwc) {
      c = n->fwc;
      n->fwc = NULL;
    } else if (n->pwc) {
      c = n->pwc;
      n->pwc = NULL;
    } else if (n->nlit) {
      for (size_t i = 0; i < n->nlitb && !c; i++) {
        if (n->lit[i]) {
          c = n->lit[i];
          n->lit[i] = c->hnext;
          n->nlit--;
        }
      }
    }
    if (c) {
      n = c;
      continue;
    }
    trU_snode *p = n->parent;
    free(n->lit);
    free(n->subs);
    free(n);
    n = p;
  }
  free(t);
}

size_t trU_strie_node_count(const trU_strie *t) {
  return t->nodes;
}

int trU_strie_insert(trU_strie *t, const trU_tokens *pat, trU_sub *s) {
  trU_snode *n = t->root;
  for (size_t i = 0; i < pat->n; i++) {
    const trU_tok *tok = &pat->v[i];
    trU_snode *c;
    if (trU_tok_is(tok, '>') || trU_tok_is(tok, '*')) {
      bool fwc = tok->p[0] == '>';
      trU_snode **slot = fwc ? &n->fwc : &n->pwc;
      if (!*slot) {
        if (!(*slot = node_new(t, n, fwc ? TRU_SN_FWC : TRU_SN_PWC, NULL)))
          goto nomem;
      }
      c = *slot;
    } else {
      c = lit_find(n, tok, tok_hash(tok->p, tok->len));
      if (!c) {
        if (!(c = node_new(t, n, TRU_SN_LIT, tok)))
          goto nomem;
        if (lit_add(n, c)) {
          free(c);
          t->nodes--;
          goto nomem;
        }
      }
    }
    n = c;
  }
  if (n->nsubs == n->capsubs) {
    uint32_t cap = n->capsubs ? n->capsubs * 2 : 2;
    trU_sub **v = trB_realloc_array(n->subs, cap, sizeof *v);
    if (!v)
      goto nomem;
    n->subs = v;
    n->capsubs = cap;
  }
  s->node = n;
  s->slot = n->nsubs;
  n->subs[n->nsubs++] = s;
  return TROUPE_OK;
nomem:
  prune(t, n); /* drops the empty nodes this call created; non-empty ones stay */
  return TROUPE_E_NOMEM;
}

void trU_strie_remove(trU_strie *t, trU_sub *s) {
  trU_snode *n = s->node;
  if (!n)
    return;
  uint32_t i = s->slot;
  n->subs[i] = n->subs[--n->nsubs];
  n->subs[i]->slot = i;
  s->node = NULL;
  if (n->nsubs == 0) {
    free(n->subs);
    n->subs = NULL;
    n->capsubs = 0;
  }
  prune(t, n);
}

/* DFS frame: a node reached after consuming `level` tokens. */
typedef struct frame {
  const trU_snode *n;
  size_t level;
} frame;

static int add_all(trU_subvec *out, const trU_snode *n) {
  for (uint32_t i = 0; i < n->nsubs; i++)
    if (subvec_push(out, n->subs[i]))
      return TROUPE_E_NOMEM;
  return TROUPE_OK;
}

int trU_strie_match(const trU_strie *t, const trU_tokens *subj, trU_subvec *out,
                    uint64_t *visited) {
  frame inl[32], *st = inl;
  size_t sp = 0, cap = TR_ARRAY_LEN(inl);
  uint64_t seen = 0;
  int rc = TROUPE_OK;
  st[sp++] = (frame){t->root, 0};
  while (sp) {
    frame f = st[--sp];
    seen++;
    if (f.level == subj->n) { /* whole subject consumed: patterns ending here */
      if ((rc = add_all(out, f.n)))
        break;
      continue;
    }
    if (f.n->fwc) { /* `>` takes all remaining tokens (at least one is left) */
      seen++;
      if ((rc = add_all(out, f.n->fwc)))
        break;
    }
    const trU_tok *tok = &subj->v[f.level];
    const trU_snode *lit = lit_find(f.n, tok, tok_hash(tok->p, tok->len));
    if (sp + 2 > cap) { /* each frame pushes at most two */
      frame *ns = st == inl ? trB_malloc(cap * 2 * sizeof *ns)
                            : trB_realloc_array(st, cap * 2, sizeof *ns);
      if (!ns) {
        rc = TROUPE_E_NOMEM;
        break;
      }
      if (st == inl)
        memcpy(ns, inl, sizeof inl);
      st = ns;
      cap *= 2;
    }
    if (f.n->pwc)
      st[sp++] = (frame){f.n->pwc, f.level + 1};
    if (lit)
      st[sp++] = (frame){lit, f.level + 1};
  }
  if (st != inl)
    free(st);
  if (visited)
    *visited = seen;
  return rc;
}
