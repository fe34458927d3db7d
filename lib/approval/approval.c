/* Requests and their approvals (include/fuin/approval.h, docs/approvals.md):
 * the checks that used to live in the CLI, so that every program using
 * libfuin applies the same separation of duties. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "internal.h"

static const char DISPOSAL_HEADER[] = "fuin-disposal-request: 1\n";
static const char REQUEST_HEADER[] = "fuin-request: 1\n";
static const char *const KINDS[] = {"provide", "carry", "disposal", "exception", NULL};

int fuin_request_kind_valid(const char *kind)
{
    for (size_t i = 0; kind != NULL && KINDS[i] != NULL; i++)
        if (strcmp(kind, KINDS[i]) == 0)
            return 1;
    return 0;
}

/* One line of printable text (no C0 control, no DEL). */
static int plain(const char *v)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* "key: value\n" at *pos (value may be empty, then no space); one line of
 * printable text that fits in cap. */
static int field(const char *text, size_t len, size_t *pos, const char *key, char *out,
                 size_t cap)
{
    size_t klen = strlen(key), start, end;
    if (len - *pos < klen + 2 || memcmp(text + *pos, key, klen) != 0 || text[*pos + klen] != ':')
        return -1;
    start = *pos + klen + 1;
    end = start;
    while (end < len && text[end] != '\n')
        end++;
    if (end >= len)
        return -1;
    if (end > start) {
        if (text[start] != ' ')
            return -1;
        start++;
    }
    if (end - start >= cap)
        return -1;
    for (size_t i = start; i < end; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f || text[i] == '\0')
            return -1;
    memcpy(out, text + start, end - start);
    out[end - start] = '\0';
    *pos = end + 1;
    return 0;
}

static int is_hex(const char *s, size_t n, int upper)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (upper ? (c >= 'A' && c <= 'F') : (c >= 'a' && c <= 'f'))))
            return 0;
    }
    return 1;
}

/* "sha256:<64 lower-case hex>" or "asset:ID" (ID non-empty). */
static int object_valid(const char *o)
{
    if (strncmp(o, "sha256:", 7) == 0)
        return is_hex(o + 7, 64, 0);
    if (strncmp(o, "asset:", 6) == 0)
        return o[6] != '\0' && o[6] != ' ';
    return 0;
}

static void set_hash(fuin_request_info *out, const char *text, size_t len)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const uint8_t *)text, len);
    sodium_bin2hex(out->hash, sizeof out->hash, h, sizeof h);
}

/* The older disposal format (docs/wipe.md), unchanged. */
static fuin_status parse_disposal(const char *text, size_t len, fuin_request_info *out,
                                  char *keyhex, char *err, size_t cap)
{
    char buf[FUIN_REASON_MAX + 1];
    size_t pos = sizeof DISPOSAL_HEADER - 1;
    if (len < pos || memcmp(text, DISPOSAL_HEADER, pos) != 0 ||
        field(text, len, &pos, "asset", out->asset, sizeof out->asset) || out->asset[0] == '\0' ||
        field(text, len, &pos, "class", out->class_text, sizeof out->class_text) ||
        field(text, len, &pos, "reason", out->reason, sizeof out->reason) ||
        field(text, len, &pos, "requester", out->requester, sizeof out->requester) ||
        field(text, len, &pos, "requester-key-id", buf, sizeof buf) || strlen(buf) != 16 ||
        (memcpy(keyhex, buf, 17), 0) ||
        field(text, len, &pos, "created", out->created, sizeof out->created) ||
        field(text, len, &pos, "nonce", buf, sizeof buf) || strlen(buf) != 16 || pos != len) {
        memset(out, 0, sizeof *out);
        fuin__set_msg(err, cap, "not a valid disposal request");
        return FUIN_E_SYNTAX;
    }
    snprintf(out->kind, sizeof out->kind, "disposal");
    if (snprintf(out->object, sizeof out->object, "asset:%s", out->asset) >=
        (int)sizeof out->object)
        out->object[0] = '\0';
    if (fuin_time_parse_rfc3339(out->created, &out->created_at) != FUIN_OK)
        out->created_at = 0;
    out->format = 1;
    return FUIN_OK;
}

/* "fuin-request: 1" (docs/approvals.md): strict, every line in order. */
static fuin_status parse_request(const char *text, size_t len, fuin_request_info *out,
                                 char *keyhex, char *err, size_t cap)
{
    char buf[FUIN_REASON_MAX + 1];
    size_t pos = sizeof REQUEST_HEADER - 1;
    int line = 2;
    const char *why = NULL;
    fuin_label l;

#define NEXT(key, dst)                                                                        \
    do {                                                                                      \
        if (field(text, len, &pos, key, dst, sizeof dst) != 0) {                              \
            why = "expected \"" key ": \" and one line of text";                             \
            goto bad;                                                                         \
        }                                                                                     \
        line++;                                                                               \
    } while (0)
    NEXT("kind", out->kind);
    if (!fuin_request_kind_valid(out->kind) || strcmp(out->kind, "disposal") == 0) {
        line--;
        why = "kind: not provide, carry or exception";
        goto bad;
    }
    NEXT("object", out->object);
    if (out->object[0] != '\0' ? !object_valid(out->object)
                               : strcmp(out->kind, "exception") != 0) {
        line--;
        why = "object: not sha256:<64 lower-case hex> or asset:ID";
        goto bad;
    }
    if (strncmp(out->object, "asset:", 6) == 0) {
        if (strcmp(out->kind, "provide") == 0) {
            line--;
            why = "object: information provided is named by its sha256";
            goto bad;
        }
        memcpy(out->asset, out->object + 6, strlen(out->object + 6) + 1);
    }
    NEXT("class", out->class_text);
    if (fuin_label_parse(out->class_text, &l, NULL, 0) != FUIN_OK) {
        line--;
        why = "class: not a label";
        goto bad;
    }
    NEXT("destination", out->destination);
    if ((strcmp(out->kind, "exception") != 0) != (out->destination[0] != '\0')) {
        line--;
        why = strcmp(out->kind, "exception") != 0 ? "destination: empty"
                                                  : "destination: not used by exceptions";
        goto bad;
    }
    NEXT("valid-from", buf);
    if (fuin_time_parse_rfc3339(buf, &out->valid_from) != FUIN_OK) {
        line--;
        why = "valid-from: not an RFC 3339 time";
        goto bad;
    }
    NEXT("valid-until", buf);
    if (fuin_time_parse_rfc3339(buf, &out->valid_until) != FUIN_OK ||
        out->valid_until < out->valid_from) {
        line--;
        why = "valid-until: not an RFC 3339 time after valid-from";
        goto bad;
    }
    NEXT("reason", out->reason);
    if (strcmp(out->kind, "exception") == 0 && out->reason[0] == '\0') {
        line--;
        why = "reason: an exception needs one";
        goto bad;
    }
    NEXT("requester", out->requester);
    NEXT("requester-key-id", buf);
    if (!is_hex(buf, 16, 1)) {
        line--;
        why = "requester-key-id: not 16 upper-case hex digits";
        goto bad;
    }
    memcpy(keyhex, buf, 17);
    NEXT("created", out->created);
    if (fuin_time_parse_rfc3339(out->created, &out->created_at) != FUIN_OK) {
        line--;
        why = "created: not an RFC 3339 time";
        goto bad;
    }
    NEXT("nonce", buf);
    if (!is_hex(buf, 16, 0)) {
        line--;
        why = "nonce: not 16 lower-case hex digits";
        goto bad;
    }
#undef NEXT
    if (pos != len) {
        why = "unexpected text after the nonce";
        goto bad;
    }
    out->format = 2;
    return FUIN_OK;
bad:
    memset(out, 0, sizeof *out);
    fuin__set_msg(err, cap, "not a valid request: line %d: %s", line, why);
    return FUIN_E_SYNTAX;
}

static fuin_status parse(const char *text, size_t len, fuin_request_info *out, char *keyhex,
                         char *err, size_t cap)
{
    fuin_status s;
    memset(out, 0, sizeof *out);
    if (text != NULL && len >= sizeof REQUEST_HEADER - 1 &&
        memcmp(text, REQUEST_HEADER, sizeof REQUEST_HEADER - 1) == 0)
        s = parse_request(text, len, out, keyhex, err, cap);
    else if (text != NULL)
        s = parse_disposal(text, len, out, keyhex, err, cap);
    else {
        fuin__set_msg(err, cap, "not a valid disposal request");
        s = FUIN_E_SYNTAX;
    }
    if (s == FUIN_OK)
        set_hash(out, text, len);
    return s;
}

fuin_status fuin_request_parse(const char *text, size_t len, fuin_request_info *out, char *err,
                               size_t cap)
{
    char keyhex[17];
    if (out == NULL)
        return FUIN_E_INVALID;
    return parse(text, len, out, keyhex, err, cap);
}

/* ---- writing ------------------------------------------------------------ */

fuin_status fuin_request_format(const fuin_request_info *in, char **text, size_t *len,
                                char *err, size_t cap)
{
    char canon[FUIN_TEXT_MAX], hex[FUIN_KEYID_HEX], created[FUIN_TIME_MAX];
    char from[FUIN_TIME_MAX], until[FUIN_TIME_MAX], nonce_hex[17];
    uint8_t nonce[8];
    fuin_label l;
    size_t cap_t;
    int n, disposal;
    char *t;
    const char *k;

    if (text != NULL)
        *text = NULL;
    if (in == NULL || text == NULL || len == NULL)
        return FUIN_E_INVALID;
    k = in->kind;
    if (!fuin_request_kind_valid(k)) {
        fuin__set_msg(err, cap, "kind \"%.20s\": not provide, carry, disposal or exception", k);
        return FUIN_E_INVALID;
    }
    disposal = strcmp(k, "disposal") == 0;
#define ONE_LINE(f, name)                                                                     \
    if (memchr(f, '\0', sizeof f) == NULL || !plain(f)) {                                     \
        fuin__set_msg(err, cap, "%s must be one line of text", name);                          \
        return FUIN_E_INVALID;                                                                \
    }
    ONE_LINE(in->asset, "asset");
    ONE_LINE(in->object, "object");
    ONE_LINE(in->destination, "destination");
    ONE_LINE(in->requester, "requester");
    ONE_LINE(in->class_text, "class");
    ONE_LINE(in->reason, "reason");
#undef ONE_LINE
    if (strlen(in->reason) >= FUIN_REASON_MAX) {
        fuin__set_msg(err, cap, "reason is longer than %u bytes", FUIN_REASON_MAX - 1);
        return FUIN_E_INVALID;
    }
    if (in->requester[0] == '\0') {
        fuin__set_msg(err, cap, "no requester");
        return FUIN_E_INVALID;
    }
    if (fuin_label_parse(in->class_text, &l, NULL, 0) != FUIN_OK ||
        fuin_label_format(&l, canon, sizeof canon) == 0) {
        fuin__set_msg(err, cap, "class: not a label");
        return FUIN_E_INVALID;
    }
    if (fuin_time_format_rfc3339(in->created_at, created, sizeof created) == 0) {
        fuin__set_msg(err, cap, "created: not a time");
        return FUIN_E_INVALID;
    }
    fuin_keyid_hex(in->keyid, hex);
    randombytes_buf(nonce, sizeof nonce);
    sodium_bin2hex(nonce_hex, sizeof nonce_hex, nonce, sizeof nonce);
    cap_t = strlen(in->asset) + strlen(in->object) + strlen(in->destination) +
            strlen(in->requester) + strlen(canon) + strlen(in->reason) + 512;
    if (disposal) {
        if (in->asset[0] == '\0') {
            fuin__set_msg(err, cap, "a disposal request needs an asset");
            return FUIN_E_INVALID;
        }
        if ((t = malloc(cap_t)) == NULL)
            return FUIN_E_NOMEM;
        n = snprintf(t, cap_t,
                     "fuin-disposal-request: 1\nasset: %s\nclass: %s\n"
                     "reason: %s\nrequester: %s\nrequester-key-id: %s\n"
                     "created: %s\nnonce: %s\n",
                     in->asset, canon, in->reason, in->requester, hex, created, nonce_hex);
    } else {
        int exc = strcmp(k, "exception") == 0;
        if (in->object[0] != '\0' ? !object_valid(in->object) : !exc) {
            fuin__set_msg(err, cap, "object: not sha256:<64 lower-case hex> or asset:ID");
            return FUIN_E_INVALID;
        }
        if (strcmp(k, "provide") == 0 && strncmp(in->object, "sha256:", 7) != 0) {
            fuin__set_msg(err, cap, "a provide request names the information by its sha256");
            return FUIN_E_INVALID;
        }
        if (!exc && in->destination[0] == '\0') {
            fuin__set_msg(err, cap, "a %s request needs a destination", k);
            return FUIN_E_INVALID;
        }
        if (exc && in->destination[0] != '\0') {
            fuin__set_msg(err, cap, "an exception has no destination");
            return FUIN_E_INVALID;
        }
        if (exc && in->reason[0] == '\0') {
            fuin__set_msg(err, cap, "an exception needs a reason");
            return FUIN_E_INVALID;
        }
        if (in->valid_until < in->valid_from || in->valid_until < in->created_at) {
            fuin__set_msg(err, cap, "valid-until is before valid-from or before now");
            return FUIN_E_INVALID;
        }
        if (fuin_time_format_rfc3339(in->valid_from, from, sizeof from) == 0 ||
            fuin_time_format_rfc3339(in->valid_until, until, sizeof until) == 0) {
            fuin__set_msg(err, cap, "validity: not a time");
            return FUIN_E_INVALID;
        }
        if ((t = malloc(cap_t)) == NULL)
            return FUIN_E_NOMEM;
        /* an empty value is "key:" with no space */
        n = snprintf(t, cap_t,
                     "fuin-request: 1\nkind: %s\nobject:%s%s\nclass: %s\ndestination:%s%s\n"
                     "valid-from: %s\nvalid-until: %s\nreason:%s%s\nrequester: %s\n"
                     "requester-key-id: %s\ncreated: %s\nnonce: %s\n",
                     k, in->object[0] ? " " : "", in->object, canon,
                     in->destination[0] ? " " : "", in->destination, from, until,
                     in->reason[0] ? " " : "", in->reason, in->requester, hex, created,
                     nonce_hex);
    }
    if (n < 0 || (size_t)n >= cap_t) {
        free(t);
        return FUIN_E_INVALID;
    }
    {
        /* what is written must read back */
        fuin_request_info chk;
        char kh[17];
        if (parse(t, (size_t)n, &chk, kh, err, cap) != FUIN_OK) {
            free(t);
            return FUIN_E_INVALID;
        }
    }
    *text = t;
    *len = (size_t)n;
    return FUIN_OK;
}

/* The trusted comment a request's signature carries. */
static void request_comment(const fuin_request_info *r, char *buf, size_t cap)
{
    if (r->format == 1)
        snprintf(buf, cap, "fuin-disposal-request asset:%s", r->asset);
    else
        snprintf(buf, cap, "fuin-request kind:%s object:%s", r->kind, r->object);
}

static fuin_status sign_text(const fuin_seckey *sk, const char *text, size_t len,
                             const char *untrusted, const char *tc, char **sig, size_t *siglen)
{
    fuin_signer *s = fuin_signer_new(sk);
    fuin_status st;
    if (s == NULL)
        return FUIN_E_NOMEM;
    st = fuin_sign_update(s, (const uint8_t *)text, len);
    if (st == FUIN_OK)
        st = fuin_sign_final(s, untrusted, tc, sig, siglen);
    fuin_signer_free(s);
    return st;
}

fuin_status fuin_request_sign(const fuin_seckey *sk, const char *text, size_t len, char **sig,
                              size_t *siglen, char *err, size_t cap)
{
    fuin_request_info r;
    fuin_pubkey pk;
    char keyhex[17], hex[FUIN_KEYID_HEX], tc[2 * FUIN_TEXT_MAX + 64];
    fuin_status s;
    if (sig != NULL)
        *sig = NULL;
    if (sk == NULL || sig == NULL || siglen == NULL)
        return FUIN_E_INVALID;
    if ((s = parse(text, len, &r, keyhex, err, cap)) != FUIN_OK)
        return s;
    fuin_seckey_public(sk, &pk);
    fuin_keyid_hex(pk.keyid, hex);
    if (strcmp(hex, keyhex) != 0) {
        fuin__set_msg(err, cap, "the request names key %s, not this key %s", keyhex, hex);
        return FUIN_E_WRONG_KEY;
    }
    request_comment(&r, tc, sizeof tc);
    s = sign_text(sk, text, len, r.format == 1 ? "fuin disposal request" : "fuin request", tc,
                  sig, siglen);
    if (s != FUIN_OK)
        fuin__set_msg(err, cap, "cannot sign the request: %s", fuin_strerror(s));
    return s;
}

/* ---- verifying ---------------------------------------------------------- */

/* Verify `sig` over msg with a certified key found by the signature's key
 * id; *cert and the (authenticated) trusted comment on success. */
static fuin_status detached(const fuin_store *store, const char *msg, size_t msglen,
                            const char *sig, size_t siglen, const char *what,
                            const fuin_cert **cert, char **comment, char *err, size_t cap)
{
    fuin_verifier *v = fuin_verifier_new();
    uint8_t keyid[FUIN_KEYID_BYTES];
    char hex[FUIN_KEYID_HEX];
    fuin_status s;
    *cert = NULL;
    *comment = NULL;
    if (v == NULL)
        return FUIN_E_NOMEM;
    if ((s = fuin_verifier_load(v, sig, siglen)) != FUIN_OK) {
        fuin__set_msg(err, cap, "%s", fuin_verifier_errmsg(v));
        fuin_verifier_free(v);
        return FUIN_E_SIGFORMAT;
    }
    fuin_verifier_keyid(v, keyid);
    fuin_keyid_hex(keyid, hex);
    if ((*cert = fuin_store_find_keyid(store, keyid)) == NULL) {
        fuin__set_msg(err, cap, "%s key %s has no valid certificate in the trust store", what,
                      hex);
        fuin_verifier_free(v);
        return FUIN_E_UNTRUSTED;
    }
    if ((s = fuin_verify_update(v, (const uint8_t *)msg, msglen)) != FUIN_OK ||
        (s = fuin_verify_final(v, &(*cert)->card.sign_pk)) != FUIN_OK) {
        fuin__set_msg(err, cap, "%s signature does not verify: %s", what,
                      fuin_verifier_errmsg(v)[0] ? fuin_verifier_errmsg(v) : fuin_strerror(s));
        *cert = NULL;
        fuin_verifier_free(v);
        return FUIN_E_SIGNATURE;
    }
    if ((*comment = strdup(fuin_verifier_trusted_comment(v))) == NULL) {
        *cert = NULL;
        fuin_verifier_free(v);
        return FUIN_E_NOMEM;
    }
    fuin_verifier_free(v);
    return FUIN_OK;
}

fuin_status fuin_request_verify(const fuin_store *store, const char *text, size_t len,
                                const char *sig, size_t siglen, fuin_request_info *out,
                                char *err, size_t cap)
{
    const fuin_cert *cert = NULL;
    char *comment = NULL, keyhex[17], hex[FUIN_KEYID_HEX], want[2 * FUIN_TEXT_MAX + 64];
    fuin_status s;
    if (store == NULL || out == NULL || sig == NULL)
        return FUIN_E_INVALID;
    memset(out, 0, sizeof *out);
    /* the signature first: a forged request is refused as forged */
    if ((s = detached(store, text, len, sig, siglen, "requester", &cert, &comment, err, cap)) !=
        FUIN_OK)
        return s;
    if ((s = parse(text, len, out, keyhex, err, cap)) != FUIN_OK)
        goto out;
    fuin_keyid_hex(cert->card.sign_pk.keyid, hex);
    if (strcmp(keyhex, hex) != 0) {
        fuin__set_msg(err, cap, out->format == 1 ? "not a valid disposal request"
                                                 : "not a valid request: it names key %s, "
                                                   "but %s signed it",
                      keyhex, hex);
        s = FUIN_E_SYNTAX;
        goto out;
    }
    request_comment(out, want, sizeof want);
    if (strcmp(comment, want) != 0) {
        fuin__set_msg(err, cap, out->format == 1 ? "request signature is for another asset"
                                                 : "request signature is for another object");
        s = FUIN_E_COMMENT;
        goto out;
    }
    /* who asked is who the root certified, whatever the text says */
    memcpy(out->requester, cert->card.name, sizeof out->requester);
    memcpy(out->keyid, cert->card.sign_pk.keyid, FUIN_KEYID_BYTES);
out:
    if (s != FUIN_OK)
        memset(out, 0, sizeof *out);
    free(comment);
    return s;
}

const char *fuin_approval_required_role(const fuin_policy *policy, const fuin_request_info *rq,
                                        char *origin, size_t origin_cap)
{
    fuin_policy *def = NULL;
    const fuin_policy *p = policy;
    const char *role = NULL;
    fuin_label l;
    char where[512];
    if (origin != NULL && origin_cap > 0)
        origin[0] = '\0';
    if (rq == NULL || fuin_label_parse(rq->class_text, &l, NULL, 0) != FUIN_OK)
        return NULL;
    if (p == NULL) {
        if (fuin_policy_default(&def) != FUIN_OK)
            return NULL;
        p = def;
    }
    /* the policy's own static strings ("manager", "ciso") outlive it */
    role = fuin_policy_approver_role(p, rq->kind, l.confidentiality);
    if (role != NULL && origin != NULL && origin_cap > 0) {
        where[0] = '\0';
        (void)fuin_policy_approver_origin(p, rq->kind, l.confidentiality, where, sizeof where);
        snprintf(origin, origin_cap, "[approval] %s_C%d, %s", rq->kind, l.confidentiality,
                 where[0] ? where : "built-in default");
    }
    fuin_policy_free(def);
    return role;
}

fuin_status fuin_approval_may_approve(const fuin_policy *policy, const fuin_request_info *rq,
                                      const fuin_cert *cert, char *err, size_t cap)
{
    char origin[600];
    const char *need, *have;
    if (rq == NULL || cert == NULL)
        return FUIN_E_INVALID;
    if (memcmp(cert->card.sign_pk.keyid, rq->keyid, FUIN_KEYID_BYTES) == 0 ||
        strcmp(cert->card.name, rq->requester) == 0) {
        fuin__set_msg(err, cap,
                      "approved by the requester: the person who asks for a permission never "
                      "approves it");
        return FUIN_E_POLICY;
    }
    need = fuin_approval_required_role(policy, rq, origin, sizeof origin);
    if (need == NULL) {
        fuin__set_msg(err, cap, "the policy names no approver for a %s request of class %s",
                      rq->kind, rq->class_text);
        return FUIN_E_POLICY;
    }
    have = fuin_role_name(cert->role);
    if (have == NULL || strcmp(have, need) != 0) {
        fuin__set_msg(err, cap, "approver %s has role %s, the policy needs %s (%s)",
                      cert->card.name, have ? have : "(none)", need, origin);
        return FUIN_E_POLICY;
    }
    return FUIN_OK;
}

fuin_status fuin_approval_sign(const fuin_seckey *sk, const fuin_cert *cert, const char *text,
                               size_t len, int64_t now, char **sig, size_t *siglen, char *err,
                               size_t cap)
{
    fuin_request_info r;
    fuin_pubkey pk;
    char keyhex[17], hex[FUIN_KEYID_HEX], t[FUIN_TIME_MAX], tc[FUIN_TEXT_MAX + 128];
    fuin_status s;
    if (sig != NULL)
        *sig = NULL;
    if (sk == NULL || cert == NULL || sig == NULL || siglen == NULL ||
        fuin_role_name(cert->role) == NULL)
        return FUIN_E_INVALID;
    if ((s = parse(text, len, &r, keyhex, err, cap)) != FUIN_OK)
        return s;
    fuin_seckey_public(sk, &pk);
    if (memcmp(pk.keyid, cert->card.sign_pk.keyid, FUIN_KEYID_BYTES) != 0 ||
        sodium_memcmp(pk.pk, cert->card.sign_pk.pk, sizeof pk.pk) != 0) {
        fuin__set_msg(err, cap, "the certificate is for another key");
        return FUIN_E_WRONG_KEY;
    }
    fuin_keyid_hex(pk.keyid, hex);
    fuin_time_format_rfc3339(now != 0 ? now : (int64_t)time(NULL), t, sizeof t);
    snprintf(tc, sizeof tc, "fuin-approval approver:%s key-id:%s role:%s time:%s",
             cert->card.name, hex, fuin_role_name(cert->role), t);
    s = sign_text(sk, text, len, r.format == 1 ? "fuin disposal approval" : "fuin approval", tc,
                  sig, siglen);
    if (s != FUIN_OK)
        fuin__set_msg(err, cap, "cannot sign the approval: %s", fuin_strerror(s));
    return s;
}

/* The approval's trusted comment names the signing key and its role:
 * "fuin-approval approver:NAME key-id:KEYID role:ROLE time:T". */
static int comment_matches(const char *c, const char *hex, const char *role)
{
    char want[FUIN_KEYID_HEX + 64];
    if (strncmp(c, "fuin-approval approver:", 23) != 0)
        return 0;
    snprintf(want, sizeof want, " key-id:%s role:%s time:", hex, role);
    return strstr(c + 23, want) != NULL;
}

fuin_status fuin_approval_verify(const fuin_store *store, const fuin_policy *policy,
                                 const fuin_request_info *rq, const char *text, size_t len,
                                 const char *sig, size_t siglen, int64_t now, char *approver,
                                 size_t approver_cap, char *err, size_t cap)
{
    const fuin_cert *cert = NULL;
    char *comment = NULL, hex[FUIN_KEYID_HEX], t[FUIN_TIME_MAX];
    fuin_status s;
    if (approver != NULL && approver_cap > 0)
        approver[0] = '\0';
    if (store == NULL || rq == NULL || sig == NULL)
        return FUIN_E_INVALID;
    if (now == 0)
        now = (int64_t)time(NULL);
    if ((s = detached(store, text, len, sig, siglen, "approver", &cert, &comment, err, cap)) !=
        FUIN_OK)
        return s;
    fuin_keyid_hex(cert->card.sign_pk.keyid, hex);
    if (strncmp(comment, "fuin-approval ", 14) != 0) {
        fuin__set_msg(err, cap, "approval: not a fuin approval");
        s = FUIN_E_POLICY;
    } else if ((s = fuin_approval_may_approve(policy, rq, cert, err, cap)) != FUIN_OK) {
        /* message set */
    } else if (!comment_matches(comment, hex, fuin_role_name(cert->role))) {
        fuin__set_msg(err, cap, "approval: its trusted comment does not name key %s and role %s",
                      hex, fuin_role_name(cert->role));
        s = FUIN_E_POLICY;
    } else if (rq->format == 2 && now < rq->valid_from) {
        fuin_time_format_rfc3339(rq->valid_from, t, sizeof t);
        fuin__set_msg(err, cap, "approval not valid before %s", t);
        s = FUIN_E_POLICY;
    } else if (rq->format == 2 && now > rq->valid_until) {
        fuin_time_format_rfc3339(rq->valid_until, t, sizeof t);
        fuin__set_msg(err, cap, "approval expired at %s", t);
        s = FUIN_E_POLICY;
    } else if (rq->format == 2) {
        fuin_policy *def = NULL;
        const fuin_policy *p = policy;
        int max;
        if (p == NULL && fuin_policy_default(&def) == FUIN_OK)
            p = def;
        max = fuin_policy_approval_max_days(p);
        if (rq->valid_until - rq->created_at > (int64_t)max * 86400) {
            char where[512];
            unsigned line = 0;
            char v[32];
            where[0] = '\0';
            if (p != NULL && fuin_policy_value(p, "approval", "max_days", v, sizeof v, &line) ==
                                 FUIN_OK)
                (void)fuin_policy_origin(p, line, where, sizeof where);
            fuin__set_msg(err, cap,
                          "request period of %" PRId64 " days is longer than [approval] "
                          "max_days = %d (%s)",
                          (rq->valid_until - rq->created_at + 86399) / 86400, max,
                          where[0] ? where : "built-in default");
            s = FUIN_E_POLICY;
        }
        fuin_policy_free(def);
    }
    if (s == FUIN_OK && approver != NULL)
        snprintf(approver, approver_cap, "%s (%s)", cert->card.name, hex);
    free(comment);
    return s;
}

fuin_status fuin_approval_check(const fuin_store *store, const fuin_policy *policy,
                                const char *kind, const char *object, int64_t now,
                                const char *text, size_t len, const char *rsig, size_t rsiglen,
                                const char *asig, size_t asiglen, fuin_request_info *info,
                                char *approver, size_t approver_cap, char *err, size_t cap)
{
    fuin_request_info r;
    fuin_status s;
    char note[512];
    if (approver != NULL && approver_cap > 0)
        approver[0] = '\0';
    if (info != NULL)
        memset(info, 0, sizeof *info);
    if (store == NULL || kind == NULL || rsig == NULL || asig == NULL)
        return FUIN_E_INVALID;
    if ((s = fuin_request_verify(store, text, len, rsig, rsiglen, &r, err, cap)) != FUIN_OK)
        return s;
    if (strcmp(r.kind, kind) != 0) {
        fuin__set_msg(err, cap, "request is a%s %s request, not %s",
                      r.kind[0] == 'e' ? "n" : "", r.kind, kind);
        return FUIN_E_POLICY;
    }
    if (object != NULL && strcmp(r.object, object) != 0) {
        const char *what = strncmp(object, "asset:", 6) == 0 ? "asset" : "file";
        fuin__set_msg(err, cap, "approval is for another %s (%s), not %s", what,
                      r.object[0] ? r.object : "none", object);
        return FUIN_E_POLICY;
    }
    if ((s = fuin_approval_verify(store, policy, &r, text, len, asig, asiglen, now, approver,
                                  approver_cap, err, cap)) != FUIN_OK)
        return s;
    if (fuin_store_approval_used(store, r.hash, note, sizeof note) == FUIN_OK) {
        fuin__set_msg(err, cap, "approval already used (%s)", note);
        if (approver != NULL && approver_cap > 0)
            approver[0] = '\0';
        return FUIN_E_POLICY;
    }
    if (info != NULL)
        *info = r;
    return FUIN_OK;
}

/* ---- objects ------------------------------------------------------------ */
#include <errno.h>
#include <unistd.h>

fuin_status fuin_request_object_fd(int fd, char *obj, size_t cap, char *err, size_t errcap)
{
    crypto_hash_sha256_state st;
    uint8_t buf[1 << 16], h[crypto_hash_sha256_BYTES];
    char hex[65];
    off_t off = 0;
    if (obj == NULL || cap < 7 + 65 || fd < 0)
        return FUIN_E_INVALID;
    obj[0] = '\0';
    crypto_hash_sha256_init(&st);
    for (;;) {
        ssize_t r = pread(fd, buf, sizeof buf, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fuin__set_msg(err, errcap, "cannot read: %s", strerror(errno));
            return FUIN_E_IO;
        }
        if (r == 0)
            break;
        crypto_hash_sha256_update(&st, buf, (size_t)r);
        off += r;
    }
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(obj, cap, "sha256:%s", hex);
    return FUIN_OK;
}
