/*
 * node/sign.c: ed25519 keys and module signatures for the component store (libsodium).
 * A secret key lives in a one-line text file written 0600 and never over another file;
 * reading refuses a key that others can read, as ssh does, since whoever can read it can
 * sign modules a node trusts. A module signature signs a domain-separated message that
 * binds the name, the version and the SHA-256 of the bytes (troupe/sqlstore.h, and
 * docs/STORE.md for why the digest and not the bytes).
 */
#include "node/sqlstore_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static const char k_key_tag[] = "troupe-ed25519-secret-key:";
#define KEY_TAG_LEN (sizeof k_key_tag - 1)
#define SEED_BYTES 32

static const char k_sig_domain[] = "troupe-module-v1";

static pthread_once_t g_sodium_once = PTHREAD_ONCE_INIT;
static int g_sodium_rc;
static void sodium_setup(void) { g_sodium_rc = sodium_init(); }

int trN_sodium_ready(troupe_err *err) {
  pthread_once(&g_sodium_once, sodium_setup);
  if (g_sodium_rc < 0)
    return troupe_err_set(err, TROUPE_E_INTERNAL, "libsodium failed to initialise");
  return TROUPE_OK;
}

static void to_hex(const uint8_t *p, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[2 * n] = '\0';
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Exactly 2n hex digits at s into out. */
static bool from_hex(const char *s, size_t slen, uint8_t *out, size_t n) {
  if (slen != 2 * n)
    return false;
  for (size_t i = 0; i < n; i++) {
    int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return true;
}

int troupe_signing_key_generate(troupe_signing_key *out, troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "signing key: no output given");
  int rc = trN_sodium_ready(err);
  if (rc)
    return rc;
  crypto_sign_keypair(out->public_key, out->secret);
  return TROUPE_OK;
}

void troupe_signing_key_clear(troupe_signing_key *key) {
  if (key)
    sodium_memzero(key, sizeof *key);
}

int troupe_signing_key_write(const char *path, const troupe_signing_key *key, troupe_err *err) {
  if (!path || !*path || !key)
    return troupe_err_set(err, TROUPE_E_INVAL, "key file: no path or no key given");
  char eb[96];
  /* O_EXCL: a key is never replaced by accident (the old one may sign what nodes trust). */
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    int e = errno;
    if (e == EEXIST)
      return troupe_err_set(err, TROUPE_E_EXISTS,
                            "key file '%s' already exists (not overwritten)", path);
    return troupe_err_set(err, TROUPE_E_IO, "cannot create key file '%s': %s", path,
                          strerror_r(e, eb, sizeof eb));
  }
  char line[KEY_TAG_LEN + 2 * SEED_BYTES + 2];
  memcpy(line, k_key_tag, KEY_TAG_LEN);
  to_hex(key->secret, SEED_BYTES, line + KEY_TAG_LEN);
  line[KEY_TAG_LEN + 2 * SEED_BYTES] = '\n';
  size_t n = sizeof line - 1, done = 0;
  int rc = TROUPE_OK;
  while (done < n) {
    ssize_t w = write(fd, line + done, n - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      rc = troupe_err_set(err, TROUPE_E_IO, "cannot write key file '%s': %s", path,
                          strerror_r(w < 0 ? errno : EIO, eb, sizeof eb));
      break;
    }
    done += (size_t)w;
  }
  if (rc == TROUPE_OK && fsync(fd) != 0)
    rc = troupe_err_set(err, TROUPE_E_IO, "cannot write key file '%s': %s", path,
                        strerror_r(errno, eb, sizeof eb));
  sodium_memzero(line, sizeof line);
  close(fd);
  if (rc)
    unlink(path); /* no half-written key left behind */
  return rc;
}

int troupe_signing_key_read(const char *path, troupe_signing_key *out, troupe_err *err) {
  if (!path || !*path || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "key file: no path or no output given");
  memset(out, 0, sizeof *out);
  int rc = trN_sodium_ready(err);
  if (rc)
    return rc;
  char eb[96];
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return troupe_err_set(err, TROUPE_E_IO, "cannot open key file '%s': %s", path,
                          strerror_r(errno, eb, sizeof eb));
  struct stat st;
  char buf[KEY_TAG_LEN + 2 * SEED_BYTES + 8];
  ssize_t n = 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = troupe_err_set(err, TROUPE_E_IO, "key file '%s' is not a regular file", path);
  } else if (st.st_mode & 077) {
    rc = troupe_err_set(err, TROUPE_E_IO,
                        "key file '%s' is readable by others (mode %04o): a secret key must "
                        "be private (chmod 600)",
                        path, (unsigned)(st.st_mode & 07777));
  } else {
    do
      n = read(fd, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n < 0)
      rc = troupe_err_set(err, TROUPE_E_IO, "cannot read key file '%s': %s", path,
                          strerror_r(errno, eb, sizeof eb));
  }
  close(fd);
  if (rc == TROUPE_OK) {
    size_t len = (size_t)n;
    if (len && buf[len - 1] == '\n')
      len--;
    uint8_t seed[SEED_BYTES];
    if (len < KEY_TAG_LEN || memcmp(buf, k_key_tag, KEY_TAG_LEN) != 0 ||
        !from_hex(buf + KEY_TAG_LEN, len - KEY_TAG_LEN, seed, SEED_BYTES))
      rc = troupe_err_set(err, TROUPE_E_INVAL,
                          "key file '%s' is not a troupe secret key (one line: '%s' and 64 hex "
                          "digits; make one with 'troupe key gen')",
                          path, k_key_tag);
    else
      crypto_sign_seed_keypair(out->public_key, out->secret, seed);
    sodium_memzero(seed, sizeof seed);
  }
  sodium_memzero(buf, sizeof buf);
  return rc;
}

void troupe_public_key_hex(const uint8_t key[TROUPE_ED25519_PUBLIC_BYTES],
                           char hex[TROUPE_ED25519_PUBLIC_HEX]) {
  to_hex(key, TROUPE_ED25519_PUBLIC_BYTES, hex);
}

int troupe_public_key_parse(const char *hex, uint8_t key[TROUPE_ED25519_PUBLIC_BYTES],
                            troupe_err *err) {
  if (!hex || !from_hex(hex, strlen(hex), key, TROUPE_ED25519_PUBLIC_BYTES))
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "public key '%.80s' is not 64 hex digits (an ed25519 public key)",
                          hex ? hex : "(null)");
  return TROUPE_OK;
}

/* The signed message: domain, NUL, name, NUL, version, NUL, the 32-byte digest. The NULs
 * keep (name, version) pairs apart ("a.b"+"1" vs "a"+"b1" are different messages), and
 * the domain keeps a module signature from meaning anything in another protocol that a
 * key might also be used for. */
static size_t sig_message(const char *name, const char *version,
                          const uint8_t sha256[TROUPE_SHA256_BYTES], uint8_t *msg, size_t cap) {
  size_t dn = sizeof k_sig_domain, nn = strlen(name) + 1, vn = strlen(version) + 1;
  size_t n = dn + nn + vn + TROUPE_SHA256_BYTES;
  if (n > cap)
    return 0;
  memcpy(msg, k_sig_domain, dn);
  memcpy(msg + dn, name, nn);
  memcpy(msg + dn + nn, version, vn);
  memcpy(msg + dn + nn + vn, sha256, TROUPE_SHA256_BYTES);
  return n;
}

#define SIG_MSG_CAP (sizeof k_sig_domain + 130 + 66 + TROUPE_SHA256_BYTES)

int troupe_module_sign(const troupe_signing_key *key, const char *name, const char *version,
                       const uint8_t sha256[TROUPE_SHA256_BYTES],
                       uint8_t sig[TROUPE_ED25519_SIGNATURE_BYTES], troupe_err *err) {
  if (!key || !name || !version || !sha256 || !sig)
    return troupe_err_set(err, TROUPE_E_INVAL, "module signature: missing argument");
  int rc = trN_sodium_ready(err);
  if (rc)
    return rc;
  uint8_t msg[SIG_MSG_CAP];
  size_t n = sig_message(name, version, sha256, msg, sizeof msg);
  if (!n)
    return troupe_err_set(err, TROUPE_E_INVAL, "module signature: name or version too long");
  crypto_sign_detached(sig, NULL, msg, n, key->secret);
  return TROUPE_OK;
}

int troupe_module_verify(const uint8_t key[TROUPE_ED25519_PUBLIC_BYTES], const char *name,
                         const char *version, const uint8_t sha256[TROUPE_SHA256_BYTES],
                         const uint8_t sig[TROUPE_ED25519_SIGNATURE_BYTES], troupe_err *err) {
  if (!key || !name || !version || !sha256 || !sig)
    return troupe_err_set(err, TROUPE_E_INVAL, "module signature: missing argument");
  int rc = trN_sodium_ready(err);
  if (rc)
    return rc;
  uint8_t msg[SIG_MSG_CAP];
  size_t n = sig_message(name, version, sha256, msg, sizeof msg);
  if (!n || crypto_sign_verify_detached(sig, msg, n, key) != 0) {
    char hex[TROUPE_ED25519_PUBLIC_HEX];
    troupe_public_key_hex(key, hex);
    return troupe_err_set(err, TROUPE_E_SIGNATURE,
                          "module '%.128s@%.64s': the signature by key %.16s... does not verify",
                          name, version, hex);
  }
  return TROUPE_OK;
}
