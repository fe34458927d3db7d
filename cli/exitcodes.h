/* Exit codes of the fuin program.  Fixed and documented in fuin(1):
 * scripts depend on them, so they are never renumbered. */
#ifndef FUIN_CLI_EXITCODES_H
#define FUIN_CLI_EXITCODES_H
enum {
    FUIN_EXIT_OK = 0,       /* success                                        */
    FUIN_EXIT_REFUSED = 1,  /* a check said no: wrong key or passphrase, file
                               tampered or truncated, header MAC bad, policy */
    FUIN_EXIT_USAGE = 2,    /* bad option, label, recipient string          */
    FUIN_EXIT_FORMAT = 3,   /* input is not a valid age file / key file:
                               malformed header, armor, unsupported version,
                               bad Bech32 checksum, limit exceeded          */
    FUIN_EXIT_IO = 4,       /* cannot read input or write output (missing
                               directory, disk full, permission)            */
    FUIN_EXIT_EXISTS = 5,   /* output exists and --force was not given      */
    FUIN_EXIT_INTERNAL = 6, /* out of memory or internal error              */
    FUIN_EXIT_ENVIRONMENT = 7, /* this machine lacks a file or program fuin
                               needs (cracklib dictionary, /proc, nvme-cli);
                               the message names it and its Debian package,
                               never blaming the user's input              */
    /* Packages (fuin verify PACKAGE, fuin unpack) tell the refusals apart: */
    FUIN_EXIT_BAD_SIGNATURE = 8, /* the manifest's signature is bad: modified,
                               another key, malformed                       */
    FUIN_EXIT_UNTRUSTED = 9, /* the signer is not trusted: no certificate,
                               another root, expired, revoked               */
    FUIN_EXIT_MISMATCH = 10, /* contents differ from the signed manifest:
                               changed, missing, added, duplicated, truncated */
    FUIN_EXIT_UNSAFE = 11,  /* an entry cannot be extracted safely (path,
                               link, device, colliding name) or a size,
                               count or ratio limit was exceeded            */
    FUIN_EXIT_LABEL_CONFLICT = 12 /* a file's labels disagree (xattr, name,
                               document properties), or one is not a label:
                               fuin does not guess                          */
};
#endif
