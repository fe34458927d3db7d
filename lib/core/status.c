#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <sodium.h>

#include "internal.h"

const char *fuin_strerror(fuin_status s)
{
    switch (s) {
    case FUIN_OK: return "success";
    case FUIN_E_IO: return "input/output error";
    case FUIN_E_NOMEM: return "out of memory";
    case FUIN_E_HEADER: return "malformed age header";
    case FUIN_E_NO_MATCH: return "no identity matched a recipient";
    case FUIN_E_HMAC: return "header MAC does not verify";
    case FUIN_E_PAYLOAD: return "payload does not authenticate";
    case FUIN_E_ARMOR: return "invalid ASCII armor";
    case FUIN_E_STATE: return "call in the wrong state";
    case FUIN_E_INVALID: return "invalid argument";
    case FUIN_E_LABEL: return "invalid classification label";
    case FUIN_E_KEY: return "malformed key";
    case FUIN_E_EXISTS: return "output exists";
    case FUIN_E_LIMIT: return "limit exceeded";
    case FUIN_E_PASSPHRASE: return "no passphrase";
    case FUIN_E_POLICY: return "refused by policy";
    case FUIN_E_SIGNATURE: return "signature does not verify: the file was modified";
    case FUIN_E_COMMENT: return "trusted comment does not verify: it was modified";
    case FUIN_E_WRONG_KEY: return "signed by a different key";
    case FUIN_E_SIGFORMAT: return "malformed signature or key file";
    case FUIN_E_UNTRUSTED: return "unknown signer: no certificate from the trusted root";
    case FUIN_E_EXPIRED: return "certificate not valid at the signing time";
    case FUIN_E_REVOKED: return "the signing key was revoked";
    case FUIN_E_FOREIGN_ROOT: return "certificate signed by another root";
    case FUIN_E_WEAK_PASSPHRASE: return "passphrase too weak for the policy";
    case FUIN_E_SYNTAX: return "syntax error";
    case FUIN_E_AMBIGUOUS: return "ambiguous name";
    case FUIN_E_ENVIRONMENT: return "a file or program fuin needs is missing on this machine";
    case FUIN_E_MISMATCH: return "contents do not match the signed manifest";
    case FUIN_E_UNSAFE: return "unsafe archive entry";
    case FUIN_E_LABEL_CONFLICT: return "the file's labels disagree";
    }
    return "unknown status";
}

fuin_status fuin_init(void)
{
    /* libxml2 2.9 initialises itself lazily, and not thread-safely: once
     * here, before any thread reads a document label */
    xmlInitParser();
    return sodium_init() < 0 ? FUIN_E_NOMEM : FUIN_OK;
}

const char *fuin_version(void)
{
    return FUIN_VERSION_STRING;
}

void fuin__seterr(char *dst, const char *fmt, ...)
{
    va_list ap;
    if (dst == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(dst, FUIN_ERRMSG_MAX, fmt, ap);
    va_end(ap);
}

void fuin__set_msg(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    if (buf == NULL || cap == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    fuin__utf8_trim_tail(buf);
}

int fuin__ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > 64 ? 64 : (int)n;
}
