/* Tests of the public streaming API (fuin.h): handle states, keys,
 * encrypt/decrypt round trips in both encodings and on several thread
 * counts, labels, passphrases, tampering and truncation, inspection.
 * Inputs are fed in random piece sizes; every outcome is an exact status
 * and an exact count of released bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "fuin.h"
#include "internal.h"

#define MiB ((size_t)1 << 20)
#define V1_LEN 22u        /* "age-encryption.org/v1\n" */
#define X25519_STANZA 98u /* "-> X25519 " + 43 + "\n" + 43 + "\n" */
#define MAC_LINE 48u      /* "--- " + 43 + "\n" */

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} membuf;

static int mem_write(void *ctx, const uint8_t *buf, size_t len)
{
    membuf *m = ctx;
    if (m->len + len > m->cap) {
        size_t nc = m->cap ? m->cap : 4096;
        uint8_t *np;
        while (nc < m->len + len)
            nc *= 2;
        np = realloc(m->p, nc);
        if (np == NULL)
            return -1;
        m->p = np;
        m->cap = nc;
    }
    memcpy(m->p + m->len, buf, len);
    m->len += len;
    return 0;
}

static void mem_free(membuf *m)
{
    free(m->p);
    memset(m, 0, sizeof *m);
}

/* A random piece size: mostly large, sometimes tiny, so every internal
 * boundary (header, nonce, chunk, batch, armor line) gets split. */
static size_t piece(size_t left)
{
    static const uint32_t maxes[] = {1, 7, 100, 5000, 70000, 300000, 3000000};
    size_t n = 1 + randombytes_uniform(maxes[randombytes_uniform(7)]);
    return n < left ? n : left;
}

typedef struct {
    char id[FUIN_IDENTITY_MAX];
    char rcpt[FUIN_RECIPIENT_MAX];
} keypair;

static keypair *new_keys(void)
{
    keypair *k = sodium_malloc(sizeof *k);
    assert_non_null(k);
    assert_int_equal(fuin_keygen(k->id, sizeof k->id, k->rcpt, sizeof k->rcpt), FUIN_OK);
    return k;
}

typedef struct {
    const char *rcpts[4];
    int nrcpt;
    const char *pass; /* scrypt instead of recipients */
    int log_n;
    const fuin_label *label;
    int armor;
    int threads;
} enc_opts;

static fuin_status encrypt_mem(const enc_opts *o, const uint8_t *pt, size_t n, membuf *out,
                               int *label_written)
{
    fuin_encryptor *e = fuin_encryptor_new();
    fuin_status st;
    size_t off = 0;
    assert_non_null(e);
    for (int i = 0; i < o->nrcpt; i++)
        assert_int_equal(fuin_encryptor_add_recipient(e, o->rcpts[i]), FUIN_OK);
    if (o->pass != NULL)
        assert_int_equal(fuin_encryptor_set_passphrase(e, o->pass, strlen(o->pass), o->log_n),
                         FUIN_OK);
    if (o->label != NULL)
        assert_int_equal(fuin_encryptor_set_label(e, o->label), FUIN_OK);
    assert_int_equal(fuin_encryptor_set_armor(e, o->armor), FUIN_OK);
    assert_int_equal(fuin_encryptor_set_threads(e, o->threads), FUIN_OK);
    st = fuin_encrypt_begin(e, mem_write, out);
    while (st == FUIN_OK && off < n) {
        size_t k = piece(n - off);
        st = fuin_encrypt_update(e, pt + off, k);
        off += k;
    }
    if (st == FUIN_OK)
        st = fuin_encrypt_final(e);
    if (label_written != NULL)
        *label_written = fuin_encryptor_label_written(e);
    fuin_encryptor_free(e);
    return st;
}

/* Encrypt to one fresh recipient in binary, single-threaded. */
static void simple_file(const keypair *k, const uint8_t *pt, size_t n, membuf *out)
{
    enc_opts o = {{k->rcpt}, 1, NULL, 0, NULL, 0, 1};
    assert_int_equal(encrypt_mem(&o, pt, n, out, NULL), FUIN_OK);
}

typedef struct {
    int calls;
    const char *pass; /* NULL: refuse */
} pass_ctx;

static int pass_cb(void *ctx, int confirm, char *buf, size_t cap, size_t *len)
{
    pass_ctx *p = ctx;
    p->calls++;
    assert_int_equal(confirm, 0);
    if (p->pass == NULL)
        return -1;
    assert_true(strlen(p->pass) <= cap);
    memcpy(buf, p->pass, strlen(p->pass));
    *len = strlen(p->pass);
    return 0;
}

typedef struct {
    int calls;
    int had_label;
    fuin_label label;
    size_t sink_len_at_call;
    membuf *sink;
    int refuse;
} hdr_ctx;

static int hdr_cb(void *ctx, const fuin_label *l)
{
    hdr_ctx *h = ctx;
    h->calls++;
    h->had_label = l != NULL;
    if (l != NULL)
        h->label = *l;
    h->sink_len_at_call = h->sink->len;
    return h->refuse;
}

typedef struct {
    const char *ids[4];
    int nids;
    const char *pass;
    pass_ctx *pcb;
    hdr_ctx *hcb;
    int threads;
    int feed_random; /* 0: whole input in one update() */
} dec_opts;

static fuin_status decrypt_mem(const dec_opts *o, const uint8_t *ct, size_t n, membuf *out,
                               uint64_t *released, fuin_label *label, int *has_label)
{
    fuin_decryptor *d = fuin_decryptor_new();
    fuin_status st;
    size_t off = 0;
    assert_non_null(d);
    for (int i = 0; i < o->nids; i++)
        assert_int_equal(fuin_decryptor_add_identity(d, o->ids[i]), FUIN_OK);
    if (o->pass != NULL)
        assert_int_equal(fuin_decryptor_add_passphrase(d, o->pass, strlen(o->pass)), FUIN_OK);
    if (o->pcb != NULL)
        assert_int_equal(fuin_decryptor_set_passphrase_cb(d, pass_cb, o->pcb), FUIN_OK);
    if (o->hcb != NULL) {
        o->hcb->sink = out;
        assert_int_equal(fuin_decryptor_set_header_cb(d, hdr_cb, o->hcb), FUIN_OK);
    }
    assert_int_equal(fuin_decryptor_set_threads(d, o->threads), FUIN_OK);
    assert_null(fuin_decryptor_label(d));
    st = fuin_decrypt_begin(d, mem_write, out);
    while (st == FUIN_OK && off < n) {
        size_t k = o->feed_random ? piece(n - off) : n - off;
        st = fuin_decrypt_update(d, ct + off, k);
        off += k;
    }
    if (st == FUIN_OK)
        st = fuin_decrypt_final(d);
    if (st != FUIN_OK)
        assert_string_not_equal(fuin_decryptor_errmsg(d), "no error");
    if (released != NULL)
        *released = fuin_decryptor_plaintext_bytes(d);
    assert_int_equal(fuin_decryptor_plaintext_bytes(d), out->len);
    if (label != NULL) {
        const fuin_label *l = fuin_decryptor_label(d);
        *has_label = l != NULL;
        if (l != NULL)
            *label = *l;
    }
    fuin_decryptor_free(d);
    return st;
}

/* Header length of a binary file, from the parser. */
static size_t header_len(const uint8_t *ct, size_t n)
{
    fuin__header h;
    char err[FUIN_ERRMSG_MAX];
    size_t len;
    assert_int_equal(fuin__header_parse(ct, n, 1, &h, err), FUIN_OK);
    len = h.header_len;
    fuin__header_free(&h);
    return len;
}

static size_t chunks_of(size_t n)
{
    return n == 0 ? 1 : (n + FUIN_CHUNK_SIZE - 1) / FUIN_CHUNK_SIZE;
}

static void assert_label_eq(const fuin_label *a, const fuin_label *b)
{
    assert_int_equal(a->confidentiality, b->confidentiality);
    assert_int_equal(a->integrity, b->integrity);
    assert_int_equal(a->availability, b->availability);
    assert_int_equal(a->restrictions, b->restrictions);
}

/* ------------------------------------------------------------------ */
/* states and status text                                              */
/* ------------------------------------------------------------------ */

static int dummy_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)buf;
    *(size_t *)ctx += len;
    return 0;
}

static void test_state_machine(void **state)
{
    keypair *k = new_keys();
    fuin_encryptor *e;
    fuin_decryptor *d;
    fuin_label l = {2, 1, 1, 0};
    uint8_t byte = 0;
    size_t written = 0;
    (void)state;

    fuin_encryptor_free(NULL);
    fuin_decryptor_free(NULL);
    assert_string_equal(fuin_encryptor_errmsg(NULL), "invalid handle");
    assert_string_equal(fuin_decryptor_errmsg(NULL), "invalid handle");
    assert_int_equal(fuin_encryptor_label_written(NULL), 0);
    assert_null(fuin_decryptor_label(NULL));
    assert_int_equal(fuin_decryptor_plaintext_bytes(NULL), 0);

    /* encryptor: stream calls before begin */
    e = fuin_encryptor_new();
    assert_non_null(e);
    assert_string_equal(fuin_encryptor_errmsg(e), "no error");
    assert_int_equal(fuin_encrypt_update(e, &byte, 1), FUIN_E_STATE);
    assert_int_equal(fuin_encrypt_final(e), FUIN_E_STATE);
    assert_int_equal(fuin_encrypt_update(NULL, &byte, 1), FUIN_E_STATE);
    /* nothing to encrypt to */
    assert_int_equal(fuin_encrypt_begin(e, dummy_write, &written), FUIN_E_INVALID);
    assert_int_equal(written, 0);
    assert_int_equal(fuin_encryptor_add_recipient(e, k->rcpt), FUIN_OK);
    /* recipients and a passphrase are exclusive */
    assert_int_equal(fuin_encryptor_set_passphrase(e, "pw", 2, 10), FUIN_E_INVALID);
    assert_int_equal(fuin_encryptor_set_threads(e, -1), FUIN_E_INVALID);
    assert_int_equal(fuin_encrypt_begin(e, NULL, NULL), FUIN_E_INVALID);
    assert_int_equal(fuin_encrypt_begin(e, dummy_write, &written), FUIN_OK);
    assert_true(written > 0);
    /* configuration after begin */
    assert_int_equal(fuin_encryptor_add_recipient(e, k->rcpt), FUIN_E_STATE);
    assert_int_equal(fuin_encryptor_set_label(e, &l), FUIN_E_STATE);
    assert_int_equal(fuin_encryptor_set_armor(e, 1), FUIN_E_STATE);
    assert_int_equal(fuin_encryptor_set_threads(e, 2), FUIN_E_STATE);
    assert_int_equal(fuin_encryptor_set_passphrase(e, "pw", 2, 10), FUIN_E_STATE);
    assert_int_equal(fuin_encrypt_begin(e, dummy_write, &written), FUIN_E_STATE);
    assert_int_equal(fuin_encrypt_fd(e, 0, NULL, 1, 0), FUIN_E_STATE);
    assert_int_equal(fuin_encrypt_update(e, NULL, 1), FUIN_E_INVALID);
    assert_int_equal(fuin_encrypt_update(e, &byte, 1), FUIN_OK);
    assert_int_equal(fuin_encrypt_final(e), FUIN_OK);
    /* done: nothing more */
    assert_int_equal(fuin_encrypt_update(e, &byte, 1), FUIN_E_STATE);
    assert_int_equal(fuin_encrypt_final(e), FUIN_E_STATE);
    fuin_encryptor_free(e);

    /* passphrase then recipient is refused too; bad log_n values */
    e = fuin_encryptor_new();
    assert_non_null(e);
    assert_int_equal(fuin_encryptor_set_passphrase(e, "pw", 0, 10), FUIN_E_INVALID);
    assert_int_equal(fuin_encryptor_set_passphrase(e, "pw", 2, 0), FUIN_E_INVALID);
    assert_int_equal(fuin_encryptor_set_passphrase(e, "pw", 2, FUIN_MAX_SCRYPT_LOG_N + 1),
                     FUIN_E_INVALID);
    assert_int_equal(fuin_encryptor_set_passphrase(e, "pw", 2, 10), FUIN_OK);
    assert_int_equal(fuin_encryptor_add_recipient(e, k->rcpt), FUIN_E_INVALID);
    assert_int_equal(fuin_encryptor_add_recipient(e, NULL), FUIN_E_INVALID);
    fuin_encryptor_free(e);

    /* a bad label is refused at set_label */
    e = fuin_encryptor_new();
    assert_non_null(e);
    {
        fuin_label bad = {4, 1, 1, 0};
        assert_int_equal(fuin_encryptor_set_label(e, &bad), FUIN_E_LABEL);
        assert_int_equal(fuin_encryptor_set_label(e, NULL), FUIN_E_LABEL);
    }
    fuin_encryptor_free(e);

    /* decryptor */
    d = fuin_decryptor_new();
    assert_non_null(d);
    assert_string_equal(fuin_decryptor_errmsg(d), "no error");
    assert_int_equal(fuin_decrypt_update(d, &byte, 1), FUIN_E_STATE);
    assert_int_equal(fuin_decrypt_final(d), FUIN_E_STATE);
    assert_int_equal(fuin_decryptor_set_armor(d, 3), FUIN_E_INVALID);
    assert_int_equal(fuin_decryptor_set_threads(d, -1), FUIN_E_INVALID);
    assert_int_equal(fuin_decryptor_add_passphrase(d, "x", 0), FUIN_E_INVALID);
    assert_int_equal(fuin_decryptor_add_identity(d, NULL), FUIN_E_INVALID);
    assert_int_equal(fuin_decryptor_add_identity(d, k->rcpt), FUIN_E_KEY);
    assert_int_equal(fuin_decryptor_add_identity(d, k->id), FUIN_OK);
    assert_int_equal(fuin_decrypt_begin(d, NULL, NULL), FUIN_E_INVALID);
    written = 0;
    assert_int_equal(fuin_decrypt_begin(d, dummy_write, &written), FUIN_OK);
    assert_int_equal(fuin_decryptor_add_identity(d, k->id), FUIN_E_STATE);
    assert_int_equal(fuin_decryptor_add_identities(d, k->id, strlen(k->id)), FUIN_E_STATE);
    assert_int_equal(fuin_decryptor_add_passphrase(d, "pw", 2), FUIN_E_STATE);
    assert_int_equal(fuin_decryptor_set_passphrase_cb(d, pass_cb, NULL), FUIN_E_STATE);
    assert_int_equal(fuin_decryptor_set_header_cb(d, hdr_cb, NULL), FUIN_E_STATE);
    assert_int_equal(fuin_decryptor_set_threads(d, 1), FUIN_E_STATE);
    assert_int_equal(fuin_decryptor_set_armor(d, FUIN_ARMOR_NONE), FUIN_E_STATE);
    assert_int_equal(fuin_decrypt_begin(d, dummy_write, &written), FUIN_E_STATE);
    assert_int_equal(fuin_decrypt_fd(d, 0, NULL, 1, 0), FUIN_E_STATE);
    /* empty input */
    assert_int_equal(fuin_decrypt_final(d), FUIN_E_HEADER);
    /* failed: only free() */
    assert_int_equal(fuin_decrypt_update(d, &byte, 1), FUIN_E_STATE);
    assert_int_equal(fuin_decrypt_final(d), FUIN_E_STATE);
    assert_int_equal(written, 0);
    fuin_decryptor_free(d);
    sodium_free(k);
}

/* A header that ends exactly at the end of the input is completed by
 * final(), which feeds the parser no new bytes (and no buffer): found by
 * fuzz_header as pointer arithmetic on NULL (UBSan). */
static void test_header_completed_at_final(void **state)
{
    static const char hdr[] = "age-encryption.org/v1\n-> X25519 ";
    static const uint8_t empty[1];
    fuin_decryptor *d = fuin_decryptor_new();
    size_t written = 0;
    (void)state;
    assert_non_null(d);
    assert_int_equal(fuin_decrypt_begin(d, dummy_write, &written), FUIN_OK);
    assert_int_equal(fuin_decrypt_update(d, (const uint8_t *)hdr, sizeof hdr - 1), FUIN_OK);
    assert_int_equal(fuin_decrypt_update(d, empty, 0), FUIN_OK);
    assert_int_equal(fuin_decrypt_final(d), FUIN_E_HEADER);
    assert_int_equal(written, 0);
    fuin_decryptor_free(d);
}

static void test_strerror(void **state)
{
    const char *seen[64];
    int n = 0;
    (void)state;
    /* codes are dense from 0: every one has its own text, up to the first
     * unknown value */
    for (n = 0; n < 64; n++) {
        const char *t = fuin_strerror((fuin_status)n);
        assert_non_null(t);
        assert_true(strlen(t) > 0);
        if (strcmp(t, "unknown status") == 0)
            break;
        for (int k = 0; k < n; k++)
            assert_string_not_equal(t, seen[k]);
        seen[n] = t;
    }
    assert_true(n >= 16 && n < 64);
    for (int k = n; k < 64; k++)
        assert_string_equal(fuin_strerror((fuin_status)k), "unknown status");
    assert_string_equal(fuin_strerror(FUIN_OK), "success");
    assert_string_equal(fuin_strerror(FUIN_E_NO_MATCH), "no identity matched a recipient");
    assert_string_equal(fuin_strerror(FUIN_E_POLICY), "refused by policy");
    assert_string_equal(fuin_strerror((fuin_status)-1), "unknown status");
    assert_string_equal(fuin_strerror((fuin_status)12345), "unknown status");
    assert_int_equal(fuin_init(), FUIN_OK); /* again: harmless */
    assert_string_equal(fuin_version(), FUIN_VERSION_STRING);
}

/* ------------------------------------------------------------------ */
/* keys                                                                */
/* ------------------------------------------------------------------ */

static void test_keys(void **state)
{
    static const char cs[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    (void)state;
    for (int iter = 0; iter < 20; iter++) {
        keypair *k = new_keys(), *k2 = new_keys();
        char r[FUIN_RECIPIENT_MAX], bad[FUIN_RECIPIENT_MAX];
        char *idbad = sodium_malloc(FUIN_IDENTITY_MAX);
        assert_non_null(idbad);
        assert_int_equal(strlen(k->id), 74);
        assert_memory_equal(k->id, "AGE-SECRET-KEY-1", 16);
        for (const char *p = k->id; *p; p++)
            assert_false(*p >= 'a' && *p <= 'z');
        assert_int_equal(strlen(k->rcpt), 62);
        assert_memory_equal(k->rcpt, "age1", 4);
        assert_string_not_equal(k->rcpt, k2->rcpt);
        assert_int_equal(fuin_identity_to_recipient(k->id, r, sizeof r), FUIN_OK);
        assert_string_equal(r, k->rcpt);
        assert_int_equal(fuin_recipient_check(k->rcpt), FUIN_OK);
        /* every single-character change is caught by the checksum */
        for (size_t pos = 4; pos < 62; pos++) {
            memcpy(bad, k->rcpt, 63);
            bad[pos] = bad[pos] == cs[iter % 32] ? cs[(iter + 1) % 32] : cs[iter % 32];
            assert_int_equal(fuin_recipient_check(bad), FUIN_E_KEY);
        }
        memcpy(bad, k->rcpt, 63);
        bad[61] = '\0'; /* truncated */
        assert_int_equal(fuin_recipient_check(bad), FUIN_E_KEY);
        for (size_t i = 0; i < 62; i++) /* uppercase */
            bad[i] = (char)(k->rcpt[i] >= 'a' && k->rcpt[i] <= 'z' ? k->rcpt[i] - 32 : k->rcpt[i]);
        bad[62] = '\0';
        assert_int_equal(fuin_recipient_check(bad), FUIN_E_KEY);
        assert_int_equal(fuin_recipient_check(k->id), FUIN_E_KEY);
        assert_int_equal(fuin_recipient_check(""), FUIN_E_KEY);
        assert_int_equal(fuin_recipient_check(NULL), FUIN_E_INVALID);
        /* identity with one character changed */
        memcpy(idbad, k->id, 75);
        idbad[20] = idbad[20] == 'Q' ? 'P' : 'Q';
        assert_int_equal(fuin_identity_to_recipient(idbad, r, sizeof r), FUIN_E_KEY);
        assert_int_equal(fuin_identity_to_recipient(k->rcpt, r, sizeof r), FUIN_E_KEY);
        /* lowercase identity is still valid Bech32 */
        for (size_t i = 0; i < 74; i++)
            idbad[i] = (char)(k->id[i] >= 'A' && k->id[i] <= 'Z' ? k->id[i] + 32 : k->id[i]);
        assert_int_equal(fuin_identity_to_recipient(idbad, r, sizeof r), FUIN_OK);
        assert_string_equal(r, k->rcpt);
        /* small output buffer */
        assert_int_equal(fuin_identity_to_recipient(k->id, r, 62), FUIN_E_INVALID);
        assert_int_equal(fuin_keygen(NULL, 0, r, sizeof r), FUIN_E_INVALID);
        sodium_free(idbad);
        sodium_free(k);
        sodium_free(k2);
    }
}

static void test_identity_file(void **state)
{
    keypair *a = new_keys(), *b = new_keys();
    char text[512];
    fuin_decryptor *d;
    (void)state;
    snprintf(text, sizeof text,
             "# created: today\r\n# public key: %s\n\n  %s \t\r\n%s\n", a->rcpt, a->id, b->id);
    d = fuin_decryptor_new();
    assert_int_equal(fuin_decryptor_add_identities(d, text, strlen(text)), FUIN_OK);
    fuin_decryptor_free(d);
    /* the bad line is named */
    snprintf(text, sizeof text, "# c\n%s\nAGE-SECRET-KEY-1XYZ\n", a->id);
    d = fuin_decryptor_new();
    assert_int_equal(fuin_decryptor_add_identities(d, text, strlen(text)), FUIN_E_KEY);
    assert_non_null(strstr(fuin_decryptor_errmsg(d), "line 3"));
    fuin_decryptor_free(d);
    d = fuin_decryptor_new();
    assert_int_equal(fuin_decryptor_add_identities(d, "# nothing\n\n", 11), FUIN_E_KEY);
    assert_string_equal(fuin_decryptor_errmsg(d), "no identities found");
    fuin_decryptor_free(d);
    sodium_free(a);
    sodium_free(b);
}

/* Decrypt ct with one identity file (plain or protected) whose
 * passphrase comes from pc; the file's own passphrase, if any, from fp. */
static fuin_status decrypt_with_id_file(const char *idtext, size_t idlen,
                                        pass_ctx *pc, pass_ctx *fp,
                                        const membuf *ct, membuf *out,
                                        char *msg, size_t cap)
{
    fuin_decryptor *d = fuin_decryptor_new();
    fuin_status st;
    assert_non_null(d);
    st = fuin_decryptor_add_identity_file(d, "me.age", idtext, idlen, pass_cb, pc);
    if (st == FUIN_OK && fp != NULL)
        st = fuin_decryptor_set_passphrase_cb(d, pass_cb, fp);
    if (st == FUIN_OK)
        st = fuin_decrypt_begin(d, mem_write, out);
    if (st == FUIN_OK)
        st = fuin_decrypt_update(d, ct->p, ct->len);
    if (st == FUIN_OK)
        st = fuin_decrypt_final(d);
    snprintf(msg, cap, "%s", fuin_decryptor_errmsg(d));
    fuin_decryptor_free(d);
    return st;
}

/* age's passphrase-protected identity files (what `fuin key new` writes):
 * opened lazily, asked once, never for a passphrase-encrypted file. */
static void test_protected_identity_file(void **state)
{
    keypair *a = new_keys(), *b = new_keys();
    const uint8_t msg[] = "classified text";
    char idtext[512], m[FUIN_ERRMSG_MAX + 64];
    membuf prot = {0}, prot_arm = {0}, to_key = {0}, ct = {0}, sct = {0}, out = {0};
    pass_ctx pc = {0, "identity passphrase long"};
    (void)state;

    snprintf(idtext, sizeof idtext, "# created: now\n# public key: %s\n%s\n",
             a->rcpt, a->id);
    {
        enc_opts o = {{NULL}, 0, "identity passphrase long", 10, NULL, 0, 1};
        assert_int_equal(encrypt_mem(&o, (const uint8_t *)idtext, strlen(idtext),
                                     &prot, NULL), FUIN_OK);
        o.armor = 1;
        assert_int_equal(encrypt_mem(&o, (const uint8_t *)idtext, strlen(idtext),
                                     &prot_arm, NULL), FUIN_OK);
    }
    simple_file(a, msg, sizeof msg, &ct);

    /* binary and armored protected identities open the file, asking once */
    assert_int_equal(decrypt_with_id_file((char *)prot.p, prot.len, &pc, NULL, &ct,
                                          &out, m, sizeof m), FUIN_OK);
    assert_int_equal(pc.calls, 1);
    assert_memory_equal(out.p, msg, sizeof msg);
    mem_free(&out);
    pc.calls = 0;
    assert_int_equal(decrypt_with_id_file((char *)prot_arm.p, prot_arm.len, &pc, NULL,
                                          &ct, &out, m, sizeof m), FUIN_OK);
    assert_int_equal(pc.calls, 1);
    mem_free(&out);

    /* a plain identity file goes the same way, asking nothing */
    pc.calls = 0;
    assert_int_equal(decrypt_with_id_file(idtext, strlen(idtext), &pc, NULL, &ct, &out,
                                          m, sizeof m), FUIN_OK);
    assert_int_equal(pc.calls, 0);
    mem_free(&out);

    /* a passphrase-encrypted file never asks for the identity's one */
    {
        enc_opts o = {{NULL}, 0, "file passphrase", 10, NULL, 0, 1};
        pass_ctx fp = {0, "file passphrase"};
        assert_int_equal(encrypt_mem(&o, msg, sizeof msg, &sct, NULL), FUIN_OK);
        pc.calls = 0;
        assert_int_equal(decrypt_with_id_file((char *)prot.p, prot.len, &pc, &fp,
                                              &sct, &out, m, sizeof m), FUIN_OK);
        assert_int_equal(pc.calls, 0);
        assert_int_equal(fp.calls, 1);
        mem_free(&out);
    }

    /* wrong passphrase, none given */
    {
        pass_ctx wrong = {0, "not the passphrase"}, none = {0, NULL};
        assert_int_equal(decrypt_with_id_file((char *)prot.p, prot.len, &wrong, NULL,
                                              &ct, &out, m, sizeof m),
                         FUIN_E_NO_MATCH);
        assert_string_equal(m, "me.age: incorrect passphrase for the identity file");
        assert_int_equal(out.len, 0);
        assert_int_equal(decrypt_with_id_file((char *)prot.p, prot.len, &none, NULL,
                                              &ct, &out, m, sizeof m),
                         FUIN_E_PASSPHRASE);
        assert_non_null(strstr(m, "me.age: "));
        assert_int_equal(out.len, 0);
    }

    /* the right identity file for another key: no match, asked once */
    {
        membuf other = {0};
        pc.calls = 0;
        simple_file(b, msg, sizeof msg, &other);
        assert_int_equal(decrypt_with_id_file((char *)prot.p, prot.len, &pc, NULL,
                                              &other, &out, m, sizeof m),
                         FUIN_E_NO_MATCH);
        assert_string_equal(m, "no identity matched a recipient");
        assert_int_equal(pc.calls, 1);
        mem_free(&other);
    }

    /* an age file encrypted to a key is not an identity file; nor is a
     * protected file whose plaintext holds no identity */
    {
        char btext[256];
        snprintf(btext, sizeof btext, "%s\n", b->id);
        simple_file(b, (const uint8_t *)btext, strlen(btext), &to_key);
        assert_int_equal(decrypt_with_id_file((char *)to_key.p, to_key.len, &pc, NULL,
                                              &ct, &out, m, sizeof m),
                         FUIN_E_KEY);
        assert_string_equal(m, "me.age: not a passphrase-protected identity file");
    }
    {
        membuf junk = {0};
        enc_opts o = {{NULL}, 0, "identity passphrase long", 10, NULL, 0, 1};
        assert_int_equal(encrypt_mem(&o, (const uint8_t *)"hello\n", 6, &junk, NULL),
                         FUIN_OK);
        assert_int_equal(decrypt_with_id_file((char *)junk.p, junk.len, &pc, NULL,
                                              &ct, &out, m, sizeof m),
                         FUIN_E_KEY);
        assert_non_null(strstr(m, "me.age (decrypted): line 1: invalid identity"));
        mem_free(&junk);
    }

    /* the plain-text entry point refuses a protected file with a hint;
     * the file entry point names the file for a bad plain one */
    {
        fuin_decryptor *d = fuin_decryptor_new();
        assert_int_equal(fuin_decryptor_add_identities(d, (char *)prot.p, prot.len),
                         FUIN_E_KEY);
        assert_non_null(strstr(fuin_decryptor_errmsg(d), "passphrase-protected"));
        assert_int_equal(fuin_decryptor_add_identity_file(d, "x.txt", "junk\n", 5,
                                                          pass_cb, &pc),
                         FUIN_E_KEY);
        assert_string_equal(fuin_decryptor_errmsg(d),
                            "x.txt: line 1: invalid identity (not an "
                            "AGE-SECRET-KEY-1 key)");
        assert_int_equal(fuin_decryptor_add_identity_file(d, "p.age", (char *)prot.p,
                                                          prot.len, NULL, NULL),
                         FUIN_E_INVALID);
        fuin_decryptor_free(d);
    }
    mem_free(&prot);
    mem_free(&prot_arm);
    mem_free(&to_key);
    mem_free(&ct);
    mem_free(&sct);
    mem_free(&out);
    sodium_free(a);
    sodium_free(b);
}

/* ------------------------------------------------------------------ */
/* round trips                                                         */
/* ------------------------------------------------------------------ */

static void test_roundtrip(void **state)
{
    static const size_t sizes[] = {0,       1,           65535,       65536,
                                   65537,   2 * MiB,     2 * MiB + 1, 5 * MiB + 3};
    static const int threads[] = {1, 2, 0};
    size_t maxn = 5 * MiB + 3;
    uint8_t *pt = malloc(maxn);
    keypair *k = new_keys();
    int runs = 0;
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, maxn);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (size_t ti = 0; ti < 3; ti++) {
            for (int armor = 0; armor <= 1; armor++) {
                size_t n = sizes[si];
                enc_opts eo = {{k->rcpt}, 1, NULL, 0, NULL, armor, threads[ti]};
                dec_opts dopt = {{k->id}, 1, NULL, NULL, NULL, threads[(ti + 1) % 3], 1};
                membuf ct = {0}, out = {0};
                uint64_t released = 0;
                size_t binlen = V1_LEN + X25519_STANZA + MAC_LINE + 16 + n + 16 * chunks_of(n);

                assert_int_equal(encrypt_mem(&eo, pt, n, &ct, NULL), FUIN_OK);
                if (!armor) {
                    assert_int_equal(header_len(ct.p, ct.len), V1_LEN + X25519_STANZA + MAC_LINE);
                    assert_int_equal(ct.len, binlen);
                } else {
                    size_t b64 = (binlen + 2) / 3 * 4;
                    assert_int_equal(ct.len, strlen(FUIN__ARMOR_BEGIN) + 1 + b64 +
                                                 (b64 + 63) / 64 + strlen(FUIN__ARMOR_END) + 1);
                    assert_memory_equal(ct.p, FUIN__ARMOR_BEGIN "\n", strlen(FUIN__ARMOR_BEGIN) + 1);
                    assert_memory_equal(ct.p + ct.len - strlen(FUIN__ARMOR_END) - 1,
                                        FUIN__ARMOR_END "\n", strlen(FUIN__ARMOR_END) + 1);
                }
                assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, &released, NULL, NULL),
                                 FUIN_OK);
                assert_int_equal(released, n);
                assert_int_equal(out.len, n);
                if (n > 0)
                    assert_memory_equal(out.p, pt, n);
                mem_free(&ct);
                mem_free(&out);
                runs++;
            }
        }
    }
    print_message("round trips: %d\n", runs);
    assert_int_equal(runs, 48);
    free(pt);
    sodium_free(k);
}

/* Armored text with every '\n' turned into "\r\n". */
static void to_crlf(const membuf *in, membuf *out)
{
    for (size_t i = 0; i < in->len; i++) {
        if (in->p[i] == '\n')
            assert_int_equal(mem_write(out, (const uint8_t *)"\r", 1), 0);
        assert_int_equal(mem_write(out, in->p + i, 1), 0);
    }
}

/* Armor with CRLF line ends and with leading/trailing whitespace still
 * decrypts; the binary decoder refuses armored bytes with FUIN_ARMOR_NONE. */
static void test_armor_variants(void **state)
{
    keypair *k = new_keys();
    size_t n = MiB + 100;
    uint8_t *pt = malloc(n);
    enc_opts eo = {{k->rcpt}, 1, NULL, 0, NULL, 1, 2};
    membuf ct = {0}, crlf = {0}, out = {0};
    fuin_decryptor *d;
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, n);
    assert_int_equal(encrypt_mem(&eo, pt, n, &ct, NULL), FUIN_OK);
    assert_int_equal(mem_write(&crlf, (const uint8_t *)"\n \t\r\n", 5), 0);
    to_crlf(&ct, &crlf);
    assert_int_equal(mem_write(&crlf, (const uint8_t *)"\r\n\r\n  ", 6), 0);
    for (int t = 1; t <= 2; t++) {
        dec_opts dopt = {{k->id}, 1, NULL, NULL, NULL, t, 1};
        assert_int_equal(decrypt_mem(&dopt, crlf.p, crlf.len, &out, NULL, NULL, NULL), FUIN_OK);
        assert_int_equal(out.len, n);
        assert_memory_equal(out.p, pt, n);
        mem_free(&out);
    }
    /* armor refused when only binary is allowed */
    d = fuin_decryptor_new();
    assert_int_equal(fuin_decryptor_add_identity(d, k->id), FUIN_OK);
    assert_int_equal(fuin_decryptor_set_armor(d, FUIN_ARMOR_NONE), FUIN_OK);
    assert_int_equal(fuin_decrypt_begin(d, mem_write, &out), FUIN_OK);
    assert_int_equal(fuin_decrypt_update(d, ct.p, ct.len), FUIN_E_HEADER);
    assert_int_equal(out.len, 0);
    fuin_decryptor_free(d);
    mem_free(&ct);
    mem_free(&crlf);
    free(pt);
    sodium_free(k);
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CRLF armor must decode in linear time.  LF armor of 4 MiB decodes in
 * about 10 ms here (40 ms with AddressSanitizer); the 3 s bound is far
 * above that, so only a quadratic decoder (each failed bulk attempt
 * re-decoding up to 1 MiB of lines to consume one) can miss it. */
static void test_armor_crlf_linear(void **state)
{
    keypair *k = new_keys();
    size_t n = 4 * MiB;
    uint8_t *pt = malloc(n);
    enc_opts eo = {{k->rcpt}, 1, NULL, 0, NULL, 1, 0};
    dec_opts dopt = {{k->id}, 1, NULL, NULL, NULL, 0, 0};
    membuf ct = {0}, crlf = {0}, out = {0};
    double t0, lf, cr;
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, n);
    assert_int_equal(encrypt_mem(&eo, pt, n, &ct, NULL), FUIN_OK);
    to_crlf(&ct, &crlf);
    t0 = seconds();
    assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL), FUIN_OK);
    lf = seconds() - t0;
    assert_int_equal(out.len, n);
    mem_free(&out);
    /* 1 MiB pieces, so a slow decoder fails after the first few pieces
     * instead of after the whole file */
    {
        fuin_decryptor *d = fuin_decryptor_new();
        fuin_status st;
        size_t off = 0;
        assert_int_equal(fuin_decryptor_add_identity(d, k->id), FUIN_OK);
        t0 = seconds();
        st = fuin_decrypt_begin(d, mem_write, &out);
        while (st == FUIN_OK && off < crlf.len && seconds() - t0 < 3.0) {
            size_t m = crlf.len - off < MiB ? crlf.len - off : MiB;
            st = fuin_decrypt_update(d, crlf.p + off, m);
            off += m;
        }
        if (st == FUIN_OK && off == crlf.len)
            st = fuin_decrypt_final(d);
        cr = seconds() - t0;
        if (off < crlf.len)
            print_error("CRLF armor: %zu of %zu bytes decoded after %.1f s\n", off, crlf.len, cr);
        assert_true(cr < 3.0);
        assert_int_equal(st, FUIN_OK);
        fuin_decryptor_free(d);
    }
    assert_int_equal(out.len, n);
    assert_memory_equal(out.p, pt, n);
    print_message("4 MiB armored: LF %.3f s, CRLF %.3f s\n", lf, cr);
    assert_true(cr < 10.0);
    mem_free(&out);
    mem_free(&ct);
    mem_free(&crlf);
    free(pt);
    sodium_free(k);
}

/* Binary lengths that are whole 48-byte groups end the armor with a full
 * 64-column line straight before END: the bulk decoder must hand over to
 * the line decoder there.  Neighbouring lengths end with a short line. */
static void test_armor_full_last_line(void **state)
{
    /* binary = 200 + n for one chunk, 216 + n for two */
    static const size_t sizes[] = {4600, 4599, 4601, 48 * 1400 - 216, 48 * 1400 - 215};
    keypair *k = new_keys();
    uint8_t *pt = malloc(48 * 1400);
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, 48 * 1400);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (int t = 1; t <= 2; t++) {
            size_t n = sizes[si], binlen = V1_LEN + X25519_STANZA + MAC_LINE + 16 + n +
                                          16 * chunks_of(n);
            enc_opts eo = {{k->rcpt}, 1, NULL, 0, NULL, 1, t};
            dec_opts dopt = {{k->id}, 1, NULL, NULL, NULL, t, t == 2};
            membuf ct = {0}, out = {0};
            const uint8_t *end;
            assert_int_equal(encrypt_mem(&eo, pt, n, &ct, NULL), FUIN_OK);
            end = ct.p + ct.len - strlen(FUIN__ARMOR_END) - 1;
            assert_memory_equal(end, FUIN__ARMOR_END "\n", strlen(FUIN__ARMOR_END) + 1);
            if (binlen % 48 == 0) {
                /* "...<64 chars>\n-----END" */
                assert_int_equal(end[-1], '\n');
                assert_int_equal(end[-66], '\n');
                assert_true(end[-2] != '=');
            } else {
                assert_int_equal(end[-(int)(4 * ((binlen % 48 + 2) / 3)) - 2], '\n');
            }
            assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL), FUIN_OK);
            assert_int_equal(out.len, n);
            assert_memory_equal(out.p, pt, n);
            mem_free(&ct);
            mem_free(&out);
        }
    }
    free(pt);
    sodium_free(k);
}

/* A header that never ends is refused at the size limit, in both
 * encodings, without waiting for the end of the input. */
static void test_header_limit(void **state)
{
    size_t cap = FUIN_MAX_HEADER_BYTES + 70000;
    uint8_t *buf = malloc(cap);
    size_t pos = 0;
    keypair *k = new_keys();
    (void)state;
    assert_non_null(buf);
    memcpy(buf, "age-encryption.org/v1\n", V1_LEN);
    pos = V1_LEN;
    while (pos + 20 < cap) {
        memcpy(buf + pos, "-> grease x\nAAAA\n", 17);
        pos += 17;
    }
    for (int armor = 0; armor <= 1; armor++) {
        uint8_t *in = buf;
        size_t inlen = pos;
        char *text = NULL;
        if (armor) {
            fuin__armor_enc enc;
            memset(&enc, 0, sizeof enc);
            text = malloc(pos * 2);
            assert_non_null(text);
            memcpy(text, FUIN__ARMOR_BEGIN "\n", strlen(FUIN__ARMOR_BEGIN) + 1);
            inlen = strlen(FUIN__ARMOR_BEGIN) + 1;
            inlen += fuin__armor_enc_update(&enc, buf, pos, text + inlen);
            inlen += fuin__armor_enc_final(&enc, text + inlen);
            in = (uint8_t *)text;
        }
        for (int feed = 0; feed <= 1; feed++) {
            fuin_decryptor *d = fuin_decryptor_new();
            membuf out = {0};
            fuin_status st = FUIN_OK;
            size_t off = 0;
            assert_int_equal(fuin_decryptor_add_identity(d, k->id), FUIN_OK);
            assert_int_equal(fuin_decrypt_begin(d, mem_write, &out), FUIN_OK);
            while (st == FUIN_OK && off < inlen) {
                size_t n = feed ? 1000 : inlen - off;
                if (n > inlen - off)
                    n = inlen - off;
                st = fuin_decrypt_update(d, in + off, n);
                off += n;
            }
            assert_int_equal(st, FUIN_E_LIMIT);
            /* in pieces: refused once the limit was passed, not at the end */
            if (feed)
                assert_true(off < FUIN_MAX_HEADER_BYTES * 3 / 2 && inlen > FUIN_MAX_HEADER_BYTES * 2);
            assert_int_equal(out.len, 0);
            fuin_decryptor_free(d);
        }
        free(text);
    }
    free(buf);
    sodium_free(k);
}

/* LF armor whose last body line is long (here 32 characters) must decode
 * in linear time too when it arrives in one piece: a bulk attempt that
 * includes the short last line fails, and must not be retried once per
 * remaining line.  Linear decoding of this 1.4 MB takes milliseconds. */
static void test_armor_lf_tail_linear(void **state)
{
    keypair *k = new_keys();
    size_t n = 1048000, binlen = V1_LEN + X25519_STANZA + MAC_LINE + 16 + n + 16 * 16;
    uint8_t *pt = malloc(n);
    enc_opts eo = {{k->rcpt}, 1, NULL, 0, NULL, 1, 0};
    dec_opts dopt = {{k->id}, 1, NULL, NULL, NULL, 0, 0};
    membuf ct = {0}, out = {0};
    double t0, dt;
    (void)state;
    assert_non_null(pt);
    assert_int_equal(chunks_of(n), 16);
    assert_int_equal(binlen % 48, 24);
    randombytes_buf(pt, n);
    assert_int_equal(encrypt_mem(&eo, pt, n, &ct, NULL), FUIN_OK);
    t0 = seconds();
    assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL), FUIN_OK);
    dt = seconds() - t0;
    print_message("1 MiB LF armor with a 32-column last line, one piece: %.3f s\n", dt);
    assert_true(dt < 1.0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.p, pt, n);
    mem_free(&ct);
    mem_free(&out);
    free(pt);
    sodium_free(k);
}

static void test_multi_recipient(void **state)
{
    keypair *a = new_keys(), *b = new_keys(), *c = new_keys();
    uint8_t pt[1000];
    enc_opts eo = {{a->rcpt, b->rcpt}, 2, NULL, 0, NULL, 0, 1};
    membuf ct = {0};
    (void)state;
    randombytes_buf(pt, sizeof pt);
    assert_int_equal(encrypt_mem(&eo, pt, sizeof pt, &ct, NULL), FUIN_OK);
    assert_int_equal(header_len(ct.p, ct.len), V1_LEN + 2 * X25519_STANZA + MAC_LINE);
    {
        const char *ids[3][2] = {{a->id, NULL}, {b->id, NULL}, {c->id, b->id}};
        int nids[3] = {1, 1, 2};
        for (int i = 0; i < 3; i++) {
            dec_opts dopt = {{ids[i][0], ids[i][1]}, nids[i], NULL, NULL, NULL, 1, 1};
            membuf out = {0};
            assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL), FUIN_OK);
            assert_int_equal(out.len, sizeof pt);
            assert_memory_equal(out.p, pt, sizeof pt);
            mem_free(&out);
        }
    }
    mem_free(&ct);
    sodium_free(a);
    sodium_free(b);
    sodium_free(c);
}

/* ------------------------------------------------------------------ */
/* labels                                                              */
/* ------------------------------------------------------------------ */

static void test_label_roundtrip(void **state)
{
    static const char stanza[] = "\n-> fuin-label C3-I2-A2 no-copy no-forward\n\n";
    fuin_label l = {3, 2, 2, FUIN_R_NO_COPY | FUIN_R_NO_FORWARD}, got;
    keypair *k = new_keys();
    size_t n = 3 * FUIN_CHUNK_SIZE + 5;
    uint8_t *pt = malloc(n);
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, n);
    for (int armor = 0; armor <= 1; armor++) {
        enc_opts eo = {{k->rcpt}, 1, NULL, 0, &l, armor, 0};
        hdr_ctx hc = {0};
        dec_opts dopt = {{k->id}, 1, NULL, NULL, &hc, 2, 1};
        membuf ct = {0}, out = {0};
        int written = -1, has = 0;
        assert_int_equal(encrypt_mem(&eo, pt, n, &ct, &written), FUIN_OK);
        assert_int_equal(written, 1);
        if (!armor) {
            /* right after the version line, before the X25519 stanza */
            assert_memory_equal(ct.p + V1_LEN - 1, stanza, strlen(stanza));
            assert_int_equal(header_len(ct.p, ct.len),
                             V1_LEN + strlen(stanza) - 1 + X25519_STANZA + MAC_LINE);
        }
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, &got, &has), FUIN_OK);
        assert_int_equal(hc.calls, 1);
        assert_int_equal(hc.had_label, 1);
        assert_int_equal(hc.sink_len_at_call, 0);
        assert_label_eq(&hc.label, &l);
        assert_int_equal(has, 1);
        assert_label_eq(&got, &l);
        assert_int_equal(out.len, n);
        assert_memory_equal(out.p, pt, n);
        mem_free(&ct);
        mem_free(&out);
    }
    /* no label: the callback still runs, with NULL */
    {
        enc_opts eo = {{k->rcpt}, 1, NULL, 0, NULL, 0, 1};
        hdr_ctx hc = {0};
        dec_opts dopt = {{k->id}, 1, NULL, NULL, &hc, 1, 1};
        membuf ct = {0}, out = {0};
        int written = -1, has = -1;
        assert_int_equal(encrypt_mem(&eo, pt, 10, &ct, &written), FUIN_OK);
        assert_int_equal(written, 0);
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, &got, &has), FUIN_OK);
        assert_int_equal(hc.calls, 1);
        assert_int_equal(hc.had_label, 0);
        assert_int_equal(has, 0);
        assert_int_equal(out.len, 10);
        mem_free(&ct);
        mem_free(&out);
    }
    free(pt);
    sodium_free(k);
}

static void test_passphrase_label(void **state)
{
    fuin_label c2 = {2, 2, 1, FUIN_R_NO_TAKEOUT}, c3 = {3, 1, 1, 0};
    uint8_t pt[300];
    (void)state;
    randombytes_buf(pt, sizeof pt);
    {
        enc_opts eo = {{NULL}, 0, "correct horse", 10, &c2, 0, 1};
        hdr_ctx hc = {0};
        dec_opts dopt = {{NULL}, 0, "correct horse", NULL, &hc, 1, 1};
        membuf ct = {0}, out = {0};
        fuin__header h;
        char err[FUIN_ERRMSG_MAX];
        int written = -1, has = -1;
        fuin_label got;
        assert_int_equal(encrypt_mem(&eo, pt, sizeof pt, &ct, &written), FUIN_OK);
        assert_int_equal(written, 0);
        assert_int_equal(fuin__header_parse(ct.p, ct.len, 1, &h, err), FUIN_OK);
        assert_int_equal(h.n, 1);
        assert_string_equal(h.stanzas[0].type, "scrypt");
        assert_int_equal(h.stanzas[0].nargs, 2);
        assert_string_equal(h.stanzas[0].args[1], "10");
        fuin__header_free(&h);
        assert_null(memmem(ct.p, ct.len, "fuin-label", 10));
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, &got, &has), FUIN_OK);
        assert_int_equal(hc.calls, 1);
        assert_int_equal(hc.had_label, 0);
        assert_int_equal(has, 0);
        assert_int_equal(out.len, sizeof pt);
        assert_memory_equal(out.p, pt, sizeof pt);
        mem_free(&ct);
        mem_free(&out);
    }
    /* confidentiality 3 with a passphrase: refused at begin, nothing out */
    for (int order = 0; order < 2; order++) {
        fuin_encryptor *e = fuin_encryptor_new();
        size_t written = 0;
        if (order == 0) {
            assert_int_equal(fuin_encryptor_set_label(e, &c3), FUIN_OK);
            assert_int_equal(fuin_encryptor_set_passphrase(e, "pw", 2, 10), FUIN_OK);
        } else {
            assert_int_equal(fuin_encryptor_set_passphrase(e, "pw", 2, 10), FUIN_OK);
            assert_int_equal(fuin_encryptor_set_label(e, &c3), FUIN_OK);
        }
        assert_int_equal(fuin_encrypt_begin(e, dummy_write, &written), FUIN_E_POLICY);
        assert_int_equal(written, 0);
        assert_int_equal(fuin_encryptor_label_written(e), 0);
        assert_string_not_equal(fuin_encryptor_errmsg(e), "no error");
        assert_int_equal(fuin_encrypt_update(e, pt, 1), FUIN_E_STATE);
        assert_int_equal(fuin_encrypt_final(e), FUIN_E_STATE);
        fuin_encryptor_free(e);
    }
}

/* ------------------------------------------------------------------ */
/* refusals                                                            */
/* ------------------------------------------------------------------ */

static void test_wrong_identity(void **state)
{
    keypair *k = new_keys(), *other = new_keys();
    uint8_t pt[70000];
    membuf ct = {0};
    (void)state;
    randombytes_buf(pt, sizeof pt);
    simple_file(k, pt, sizeof pt, &ct);
    for (int feed = 0; feed <= 1; feed++) {
        dec_opts dopt = {{other->id}, 1, NULL, NULL, NULL, 2, feed};
        membuf out = {0};
        uint64_t released = 99;
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, &released, NULL, NULL),
                         FUIN_E_NO_MATCH);
        assert_int_equal(released, 0);
        assert_int_equal(out.len, 0);
    }
    /* no identity at all */
    {
        dec_opts dopt = {{NULL}, 0, NULL, NULL, NULL, 1, 1};
        membuf out = {0};
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL),
                         FUIN_E_NO_MATCH);
        assert_int_equal(out.len, 0);
    }
    /* a passphrase for a recipient file */
    {
        dec_opts dopt = {{NULL}, 0, "pw", NULL, NULL, 1, 1};
        membuf out = {0};
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL),
                         FUIN_E_NO_MATCH);
        assert_int_equal(out.len, 0);
    }
    mem_free(&ct);
    sodium_free(k);
    sodium_free(other);
}

static void test_passphrase_cb(void **state)
{
    uint8_t pt[5000];
    enc_opts eo = {{NULL}, 0, "s3cret", 10, NULL, 0, 1};
    membuf ct = {0}, xct = {0};
    keypair *k = new_keys();
    (void)state;
    randombytes_buf(pt, sizeof pt);
    assert_int_equal(encrypt_mem(&eo, pt, sizeof pt, &ct, NULL), FUIN_OK);
    simple_file(k, pt, sizeof pt, &xct);

    /* scrypt file: asked exactly once */
    for (int armor_feed = 0; armor_feed <= 1; armor_feed++) {
        pass_ctx pc = {0, "s3cret"};
        dec_opts dopt = {{NULL}, 0, NULL, &pc, NULL, 1, armor_feed};
        membuf out = {0};
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL), FUIN_OK);
        assert_int_equal(pc.calls, 1);
        assert_int_equal(out.len, sizeof pt);
        assert_memory_equal(out.p, pt, sizeof pt);
        mem_free(&out);
    }
    /* wrong passphrase, through the callback and directly */
    {
        pass_ctx pc = {0, "s3cret!"};
        dec_opts dopt = {{NULL}, 0, NULL, &pc, NULL, 1, 1};
        membuf out = {0};
        uint64_t released = 99;
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, &released, NULL, NULL),
                         FUIN_E_NO_MATCH);
        assert_int_equal(pc.calls, 1);
        assert_int_equal(released, 0);
        assert_int_equal(out.len, 0);
    }
    {
        dec_opts dopt = {{NULL}, 0, "S3cret", NULL, NULL, 1, 1};
        membuf out = {0};
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL),
                         FUIN_E_NO_MATCH);
        assert_int_equal(out.len, 0);
    }
    /* a given passphrase that works: the callback is not needed */
    {
        pass_ctx pc = {0, "wrong"};
        dec_opts dopt = {{NULL}, 0, "s3cret", &pc, NULL, 1, 1};
        membuf out = {0};
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL), FUIN_OK);
        assert_int_equal(pc.calls, 0);
        assert_int_equal(out.len, sizeof pt);
        mem_free(&out);
    }
    /* the callback gives up */
    {
        pass_ctx pc = {0, NULL};
        dec_opts dopt = {{NULL}, 0, NULL, &pc, NULL, 1, 1};
        membuf out = {0};
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL),
                         FUIN_E_PASSPHRASE);
        assert_int_equal(pc.calls, 1);
        assert_int_equal(out.len, 0);
    }
    /* X25519 file: never asked, with or without a matching identity */
    {
        pass_ctx pc = {0, "s3cret"};
        dec_opts dopt = {{k->id}, 1, NULL, &pc, NULL, 1, 1};
        membuf out = {0};
        assert_int_equal(decrypt_mem(&dopt, xct.p, xct.len, &out, NULL, NULL, NULL), FUIN_OK);
        assert_int_equal(pc.calls, 0);
        assert_int_equal(out.len, sizeof pt);
        mem_free(&out);
    }
    {
        pass_ctx pc = {0, "s3cret"};
        dec_opts dopt = {{NULL}, 0, NULL, &pc, NULL, 1, 1};
        membuf out = {0};
        assert_int_equal(decrypt_mem(&dopt, xct.p, xct.len, &out, NULL, NULL, NULL),
                         FUIN_E_NO_MATCH);
        assert_int_equal(pc.calls, 0);
        assert_int_equal(out.len, 0);
    }
    mem_free(&ct);
    mem_free(&xct);
    sodium_free(k);
}

/* Replace the scrypt work factor "10" in a log_n 10 file. */
static void patch_work_factor(membuf *ct, const char *wf)
{
    uint8_t *line = memmem(ct->p, ct->len, "\n-> scrypt ", 11), *nl;
    assert_non_null(line);
    nl = memchr(line + 1, '\n', ct->len - (size_t)(line + 1 - ct->p));
    assert_non_null(nl);
    assert_memory_equal(nl - 3, " 10", 3);
    memcpy(nl - 2, wf, 2);
}

static void test_scrypt_limit(void **state)
{
    static const struct {
        const char *wf;
        fuin_status want;
    } cases[] = {
        {"23", FUIN_E_LIMIT}, {"63", FUIN_E_LIMIT}, {"64", FUIN_E_HEADER},
        {"09", FUIN_E_HEADER}, {"1x", FUIN_E_HEADER}, {"+9", FUIN_E_HEADER},
        /* in range: the work factor is part of the key, so the right
         * passphrase no longer opens the stanza */
        {"11", FUIN_E_NO_MATCH},
    };
    uint8_t pt[100];
    enc_opts eo = {{NULL}, 0, "pw", 10, NULL, 0, 1};
    (void)state;
    randombytes_buf(pt, sizeof pt);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        membuf ct = {0}, out = {0};
        pass_ctx pc = {0, "pw"};
        dec_opts dopt = {{NULL}, 0, NULL, &pc, NULL, 1, 1};
        fuin_status st;
        assert_int_equal(encrypt_mem(&eo, pt, sizeof pt, &ct, NULL), FUIN_OK);
        patch_work_factor(&ct, cases[i].wf);
        st = decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL);
        if (st != cases[i].want)
            print_error("work factor %s: got %s\n", cases[i].wf, fuin_strerror(st));
        assert_int_equal(st, cases[i].want);
        /* the form is checked before the passphrase is asked for */
        assert_int_equal(pc.calls, cases[i].want == FUIN_E_NO_MATCH ? 1 : 0);
        assert_int_equal(out.len, 0);
        mem_free(&ct);
    }
}

static void test_payload_bitflip(void **state)
{
    keypair *k = new_keys(), *other = new_keys();
    uint8_t pt[100];
    membuf ct = {0};
    size_t hlen;
    int flips = 0;
    (void)state;
    randombytes_buf(pt, sizeof pt);
    simple_file(k, pt, sizeof pt, &ct);
    hlen = header_len(ct.p, ct.len);
    assert_int_equal(ct.len, hlen + 16 + 100 + 16);
    /* payload: nonce, ciphertext, tag */
    for (size_t pos = hlen; pos < ct.len; pos++) {
        for (int b = 0; b < 8; b += 7) {
            dec_opts dopt = {{k->id}, 1, NULL, NULL, NULL, 1, pos % 2};
            membuf out = {0};
            uint64_t released = 99;
            ct.p[pos] ^= (uint8_t)(1u << b);
            assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, &released, NULL, NULL),
                             FUIN_E_PAYLOAD);
            assert_int_equal(released, 0);
            assert_int_equal(out.len, 0);
            ct.p[pos] ^= (uint8_t)(1u << b);
            flips++;
        }
    }
    /* header: some failure, never plaintext */
    for (size_t pos = 0; pos < hlen; pos++) {
        dec_opts dopt = {{other->id, k->id}, 2, NULL, NULL, NULL, 1, 1};
        membuf out = {0};
        fuin_status st;
        ct.p[pos] ^= 0x01;
        st = decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL);
        if (st != FUIN_E_HEADER && st != FUIN_E_HMAC && st != FUIN_E_NO_MATCH)
            print_error("header flip at %zu: %s\n", pos, fuin_strerror(st));
        assert_true(st == FUIN_E_HEADER || st == FUIN_E_HMAC || st == FUIN_E_NO_MATCH);
        assert_int_equal(out.len, 0);
        ct.p[pos] ^= 0x01;
        flips++;
    }
    /* untouched, it still decrypts */
    {
        dec_opts dopt = {{k->id}, 1, NULL, NULL, NULL, 1, 1};
        membuf out = {0};
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL), FUIN_OK);
        assert_int_equal(out.len, 100);
        mem_free(&out);
    }
    /* appended bytes: the final chunk is followed by trailing data */
    {
        dec_opts dopt = {{k->id}, 1, NULL, NULL, NULL, 1, 1};
        membuf out = {0};
        assert_int_equal(mem_write(&ct, (const uint8_t *)"x", 1), 0);
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, NULL, NULL, NULL),
                         FUIN_E_PAYLOAD);
        assert_int_equal(out.len, 0);
    }
    print_message("single-bit changes checked: %d\n", flips);
    mem_free(&ct);
    sodium_free(k);
    sodium_free(other);
}

static void test_truncation(void **state)
{
    static const size_t sizes[] = {2 * FUIN_CHUNK_SIZE + 1000, 3 * FUIN_CHUNK_SIZE};
    keypair *k = new_keys();
    uint8_t *pt = malloc(3 * FUIN_CHUNK_SIZE);
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, 3 * FUIN_CHUNK_SIZE);
    for (size_t si = 0; si < 2; si++) {
        size_t n = sizes[si], hlen, full;
        membuf ct = {0};
        simple_file(k, pt, n, &ct);
        hlen = header_len(ct.p, ct.len);
        full = hlen + 16 + n + 3 * 16;
        assert_int_equal(ct.len, full);
        for (int threads = 1; threads <= 2; threads++) {
            /* at each chunk boundary, and inside each chunk */
            for (size_t c = 0; c < 3; c++) {
                static const size_t deltas[] = {0, 1, 16, 17, 1000, FUIN__ENC_CHUNK - 1};
                for (size_t di = 0; di < sizeof deltas / sizeof deltas[0]; di++) {
                    size_t cut = hlen + 16 + c * FUIN__ENC_CHUNK + deltas[di];
                    dec_opts dopt = {{k->id}, 1, NULL, NULL, NULL, threads, (int)(di % 2)};
                    membuf out = {0};
                    uint64_t released = 99;
                    if (cut >= full)
                        continue;
                    assert_int_equal(decrypt_mem(&dopt, ct.p, cut, &out, &released, NULL, NULL),
                                     FUIN_E_PAYLOAD);
                    assert_int_equal(released, c * FUIN_CHUNK_SIZE);
                    assert_int_equal(out.len, c * FUIN_CHUNK_SIZE);
                    if (out.len > 0)
                        assert_memory_equal(out.p, pt, out.len);
                    mem_free(&out);
                }
            }
            /* inside the nonce: a header failure, as in the age testkit */
            for (size_t cut = hlen; cut < hlen + 16; cut += 5) {
                dec_opts dopt = {{k->id}, 1, NULL, NULL, NULL, threads, 1};
                membuf out = {0};
                assert_int_equal(decrypt_mem(&dopt, ct.p, cut, &out, NULL, NULL, NULL),
                                 FUIN_E_HEADER);
                assert_int_equal(out.len, 0);
            }
            /* the whole file */
            {
                dec_opts dopt = {{k->id}, 1, NULL, NULL, NULL, threads, 1};
                membuf out = {0};
                assert_int_equal(decrypt_mem(&dopt, ct.p, full, &out, NULL, NULL, NULL), FUIN_OK);
                assert_int_equal(out.len, n);
                assert_memory_equal(out.p, pt, n);
                mem_free(&out);
            }
        }
        mem_free(&ct);
    }
    free(pt);
    sodium_free(k);
}

static void test_header_cb_refuses(void **state)
{
    fuin_label l = {2, 1, 1, FUIN_R_DESTROY_AFTER_READ};
    keypair *k = new_keys();
    uint8_t *pt = malloc(200000);
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, 200000);
    for (int armor = 0; armor <= 1; armor++) {
        enc_opts eo = {{k->rcpt}, 1, NULL, 0, &l, armor, 1};
        hdr_ctx hc = {0};
        membuf ct = {0}, out = {0};
        uint64_t released = 99;
        dec_opts dopt = {{k->id}, 1, NULL, NULL, &hc, 2, 1};
        hc.refuse = 1;
        assert_int_equal(encrypt_mem(&eo, pt, 200000, &ct, NULL), FUIN_OK);
        assert_int_equal(decrypt_mem(&dopt, ct.p, ct.len, &out, &released, NULL, NULL),
                         FUIN_E_POLICY);
        assert_int_equal(hc.calls, 1);
        assert_int_equal(hc.had_label, 1);
        assert_label_eq(&hc.label, &l);
        assert_int_equal(released, 0);
        assert_int_equal(out.len, 0);
        mem_free(&ct);
    }
    free(pt);
    sodium_free(k);
}

/* A write error in the sink is FUIN_E_IO on both sides. */
static int failing_write(void *ctx, const uint8_t *buf, size_t len)
{
    size_t *budget = ctx;
    (void)buf;
    if (len > *budget)
        return -1;
    *budget -= len;
    return 0;
}

static void test_sink_failure(void **state)
{
    keypair *k = new_keys();
    uint8_t *pt = malloc(300000);
    membuf ct = {0};
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, 300000);
    simple_file(k, pt, 300000, &ct);
    {
        fuin_encryptor *e = fuin_encryptor_new();
        size_t budget = 10;
        fuin_status st;
        assert_int_equal(fuin_encryptor_add_recipient(e, k->rcpt), FUIN_OK);
        st = fuin_encrypt_begin(e, failing_write, &budget);
        assert_int_equal(st, FUIN_E_IO);
        assert_string_equal(fuin_encryptor_errmsg(e), "write failed");
        assert_int_equal(fuin_encrypt_update(e, pt, 1), FUIN_E_STATE);
        fuin_encryptor_free(e);
    }
    {
        fuin_decryptor *d = fuin_decryptor_new();
        size_t budget = 100000;
        fuin_status st;
        assert_int_equal(fuin_decryptor_add_identity(d, k->id), FUIN_OK);
        assert_int_equal(fuin_decrypt_begin(d, failing_write, &budget), FUIN_OK);
        st = fuin_decrypt_update(d, ct.p, ct.len);
        if (st == FUIN_OK)
            st = fuin_decrypt_final(d);
        assert_int_equal(st, FUIN_E_IO);
        assert_int_equal(fuin_decryptor_plaintext_bytes(d), FUIN_CHUNK_SIZE);
        fuin_decryptor_free(d);
    }
    mem_free(&ct);
    free(pt);
    sodium_free(k);
}

/* ------------------------------------------------------------------ */
/* inspect                                                             */
/* ------------------------------------------------------------------ */

typedef struct {
    const uint8_t *p;
    size_t len, off;
} reader;

static long mem_read(void *ctx, uint8_t *buf, size_t cap)
{
    reader *r = ctx;
    size_t n = piece(r->len - r->off);
    if (n > cap)
        n = cap;
    if (r->off == r->len)
        return 0;
    memcpy(buf, r->p + r->off, n);
    r->off += n;
    return (long)n;
}

static void test_inspect(void **state)
{
    static const size_t sizes[] = {0, 1, 65536, 65537};
    fuin_label l = {3, 2, 1, FUIN_R_NO_COPY | FUIN_R_ENCRYPT_REQUIRED};
    keypair *a = new_keys(), *b = new_keys();
    uint8_t *pt = malloc(65537);
    (void)state;
    assert_non_null(pt);
    randombytes_buf(pt, 65537);
    for (size_t si = 0; si < 4; si++) {
        for (int armor = 0; armor <= 1; armor++) {
            for (int labelled = 0; labelled <= 1; labelled++) {
                size_t n = sizes[si];
                enc_opts eo = {{a->rcpt, b->rcpt}, labelled ? 2 : 1, NULL, 0,
                               labelled ? &l : NULL, armor, 1};
                membuf ct = {0};
                reader r;
                fuin_info info;
                char err[128] = "";
                size_t hlen = V1_LEN + (size_t)eo.nrcpt * X25519_STANZA + MAC_LINE +
                              (labelled ? strlen("-> fuin-label C3-I2-A1 no-copy encrypt-required\n\n")
                                        : 0);
                assert_int_equal(encrypt_mem(&eo, pt, n, &ct, NULL), FUIN_OK);
                r.p = ct.p;
                r.len = ct.len;
                r.off = 0;
                memset(&info, 0xa5, sizeof info);
                assert_int_equal(fuin_inspect(mem_read, &r, &info, err, sizeof err), FUIN_OK);
                assert_string_equal(err, "");
                assert_int_equal(info.armored, armor);
                if (labelled) {
                    assert_int_equal(info.n_stanzas, 3);
                    assert_string_equal(info.stanza_types[0], "fuin-label");
                    assert_string_equal(info.stanza_types[1], "X25519");
                    assert_string_equal(info.stanza_types[2], "X25519");
                    assert_int_equal(info.has_label, 1);
                    assert_label_eq(&info.label, &l);
                } else {
                    assert_int_equal(info.n_stanzas, 1);
                    assert_string_equal(info.stanza_types[0], "X25519");
                    assert_int_equal(info.has_label, 0);
                }
                assert_int_equal(info.header_bytes, hlen);
                assert_int_equal(info.payload_bytes, 16 + n + 16 * chunks_of(n));
                assert_int_equal(info.plaintext_known, 1);
                assert_int_equal(info.plaintext_bytes, n);
                mem_free(&ct);
            }
        }
    }
    /* scrypt file */
    {
        enc_opts eo = {{NULL}, 0, "pw", 10, NULL, 0, 1};
        membuf ct = {0};
        reader r;
        fuin_info info;
        assert_int_equal(encrypt_mem(&eo, pt, 7, &ct, NULL), FUIN_OK);
        r.p = ct.p;
        r.len = ct.len;
        r.off = 0;
        assert_int_equal(fuin_inspect(mem_read, &r, &info, NULL, 0), FUIN_OK);
        assert_int_equal(info.n_stanzas, 1);
        assert_string_equal(info.stanza_types[0], "scrypt");
        assert_int_equal(info.plaintext_bytes, 7);
        /* truncated payload: size impossible, header still described */
        r.len = ct.len - 20;
        r.off = 0;
        assert_int_equal(fuin_inspect(mem_read, &r, &info, NULL, 0), FUIN_OK);
        assert_int_equal(info.plaintext_known, 0);
        assert_int_equal(info.n_stanzas, 1);
        mem_free(&ct);
    }
    /* not an age file */
    {
        static const uint8_t junk[] = "hello, world\n";
        reader r = {junk, sizeof junk - 1, 0};
        fuin_info info;
        char err[128] = "";
        assert_int_equal(fuin_inspect(mem_read, &r, &info, err, sizeof err), FUIN_E_HEADER);
        assert_true(strlen(err) > 0);
        assert_int_equal(fuin_inspect(NULL, &r, &info, err, sizeof err), FUIN_E_INVALID);
    }
    free(pt);
    sodium_free(a);
    sodium_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_machine),
        cmocka_unit_test(test_header_completed_at_final),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_identity_file),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_armor_variants),
        cmocka_unit_test(test_armor_crlf_linear),
        cmocka_unit_test(test_armor_lf_tail_linear),
        cmocka_unit_test(test_armor_full_last_line),
        cmocka_unit_test(test_header_limit),
        cmocka_unit_test(test_multi_recipient),
        cmocka_unit_test(test_label_roundtrip),
        cmocka_unit_test(test_passphrase_label),
        cmocka_unit_test(test_wrong_identity),
        cmocka_unit_test(test_passphrase_cb),
        cmocka_unit_test(test_scrypt_limit),
        cmocka_unit_test(test_payload_bitflip),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_header_cb_refuses),
        cmocka_unit_test(test_sink_failure),
        cmocka_unit_test(test_inspect),
        cmocka_unit_test(test_protected_identity_file),
    };
    if (fuin_init() != FUIN_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
