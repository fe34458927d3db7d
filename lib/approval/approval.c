/* Requests and their approvals (include/fuin/approval.h): the checks that
 * used to live in the CLI, so that every program using libfuin applies the
 * same separation of duties. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

static const char DISPOSAL_HEADER[] = "fuin-disposal-request: 1\n";

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
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            return -1;
    memcpy(out, text + start, end - start);
    out[end - start] = '\0';
    *pos = end + 1;
    return 0;
}

/* Everything but the signer's identity; *keyhex receives the key id the
 * request names. */
static fuin_status parse(const char *text, size_t len, fuin_request_info *out, char *keyhex,
                         char *err, size_t cap)
{
    char buf[FUIN_REASON_MAX + 1];
    size_t pos = sizeof DISPOSAL_HEADER - 1;
    memset(out, 0, sizeof *out);
    if (text == NULL || len < pos || memcmp(text, DISPOSAL_HEADER, pos) != 0 ||
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
    {
        uint8_t h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, (const uint8_t *)text, len);
        sodium_bin2hex(out->hash, sizeof out->hash, h, sizeof h);
    }
    return FUIN_OK;
}

fuin_status fuin_request_parse(const char *text, size_t len, fuin_request_info *out, char *err,
                               size_t cap)
{
    char keyhex[17];
    if (out == NULL)
        return FUIN_E_INVALID;
    return parse(text, len, out, keyhex, err, cap);
}

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
    char *comment = NULL, keyhex[17], hex[FUIN_KEYID_HEX], want[FUIN_TEXT_MAX + 64];
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
        fuin__set_msg(err, cap, "not a valid disposal request");
        s = FUIN_E_SYNTAX;
        goto out;
    }
    snprintf(want, sizeof want, "fuin-disposal-request asset:%s", out->asset);
    if (strcmp(comment, want) != 0) {
        fuin__set_msg(err, cap, "request signature is for another asset");
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

fuin_status fuin_approval_verify(const fuin_store *store, const fuin_request_info *rq,
                                 const char *text, size_t len, const char *sig, size_t siglen,
                                 char *approver, size_t approver_cap, char *err, size_t cap)
{
    const fuin_cert *cert = NULL;
    char *comment = NULL, hex[FUIN_KEYID_HEX];
    fuin_status s;
    if (approver != NULL && approver_cap > 0)
        approver[0] = '\0';
    if (store == NULL || rq == NULL || sig == NULL)
        return FUIN_E_INVALID;
    if ((s = detached(store, text, len, sig, siglen, "approver", &cert, &comment, err, cap)) !=
        FUIN_OK)
        return s;
    fuin_keyid_hex(cert->card.sign_pk.keyid, hex);
    if (strncmp(comment, "fuin-approval ", 14) != 0) {
        fuin__set_msg(err, cap, "approval: not a fuin approval");
        s = FUIN_E_POLICY;
    } else if (cert->role != FUIN_ROLE_MANAGER) {
        fuin__set_msg(err, cap, "approval by %s (%s), who is not a manager", cert->card.name,
                      fuin_role_name(cert->role));
        s = FUIN_E_POLICY;
    } else if (memcmp(cert->card.sign_pk.keyid, rq->keyid, FUIN_KEYID_BYTES) == 0 ||
               strcmp(cert->card.name, rq->requester) == 0) {
        fuin__set_msg(err, cap,
                      "approved by the requester: the person who asks for a permission never "
                      "approves it");
        s = FUIN_E_POLICY;
    } else if (approver != NULL) {
        snprintf(approver, approver_cap, "%s (%s)", cert->card.name, hex);
    }
    free(comment);
    return s;
}
