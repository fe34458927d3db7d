/* fuin approve REQUEST [--dir DIR] [--passphrase-file FILE] [--store DIR]
 * fuin approve --check --kind KIND [--file FILE|--asset ID|--object OBJ]
 *              [--at TIME] [--store DIR] REQUEST
 * The holder of the role the policy names (manager or ciso), who is not
 * the requester, signs REQUEST.approval (separation of duties, policy
 * 2.2(8)); --check checks an approval without using it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "common.h"

static const char *const CMD = "approve";

enum { OPT_DIR = 256, OPT_PASSFILE, OPT_STORE, OPT_CHECK, OPT_KIND, OPT_FILE, OPT_ASSET,
       OPT_OBJECT, OPT_AT };

static const struct option approve_options[] = {
    {"check", no_argument, NULL, OPT_CHECK},
    {"kind", required_argument, NULL, OPT_KIND},
    {"file", required_argument, NULL, OPT_FILE},
    {"asset", required_argument, NULL, OPT_ASSET},
    {"object", required_argument, NULL, OPT_OBJECT},
    {"at", required_argument, NULL, OPT_AT},
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"store", required_argument, NULL, OPT_STORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The approver's certificate: DIR/card.cert (+ .minisig) verified with the
 * root, else the store's certificate for the key.  Valid now, unrevoked,
 * for this very key.  0 or exit code after printing. */
static int approver_cert(const char *dir, const fuin_store *store,
                         const fuin_pubkey *pk, fuin_cert *out)
{
    char *base = NULL, *cpath = NULL, *spath = NULL, *ct = NULL, *st = NULL;
    size_t clen = 0, slen = 0;
    int missing = 0, rc;
    char err[1024], hex[FUIN_KEYID_HEX];
    fuin_status s;
    const fuin_cert *sc;

    fuin_keyid_hex(pk->keyid, hex);
    if (dir != NULL)
        base = strdup(dir);
    else if ((rc = fuin_cli_default_dir(CMD, NULL, &base)) != 0)
        return rc;
    if (base == NULL || (cpath = fuin_cli_path(base, "card.cert")) == NULL ||
        (spath = fuin_cli_suffix(cpath, ".minisig")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_read_file(CMD, cpath, FUIN_CLI_PUBFILE_MAX, &ct, &clen,
                                 &missing)) != 0)
        goto done;
    if (missing) {
        if ((sc = fuin_store_find_keyid(store, pk->keyid)) == NULL) {
            fuin_cli_error(CMD, NULL,
                           "your key %s has no valid certificate (no %s, none "
                           "in the trust store)", hex, cpath);
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
        *out = *sc;
    } else {
        if ((rc = fuin_cli_read_file(CMD, spath, FUIN_CLI_PUBFILE_MAX, &st,
                                     &slen, NULL)) != 0)
            goto done;
        err[0] = '\0';
        s = fuin_cert_verify(ct, clen, st, slen, fuin_store_root(store), out,
                             err, sizeof err);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, cpath, "%s", fuin_cli_msg(err, s));
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
        if (memcmp(out->card.sign_pk.keyid, pk->keyid, FUIN_KEYID_BYTES) != 0 ||
            sodium_memcmp(out->card.sign_pk.pk, pk->pk, sizeof pk->pk) != 0) {
            fuin_cli_error(CMD, cpath, "certificate is for another key, not %s", hex);
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
        err[0] = '\0';
        if ((s = fuin_store_check_cert(store, out, err, sizeof err)) != FUIN_OK) {
            fuin_cli_error(CMD, cpath, "%s", fuin_cli_msg(err, s));
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
    }
    rc = 0;
done:
    free(st);
    free(ct);
    free(spath);
    free(cpath);
    free(base);
    return rc;
}

/* What is being approved or checked, on standard error. */
static void show(const char *path, const fuin_request_info *r, const char *head)
{
    char rhex[FUIN_KEYID_HEX], a[FUIN_TIME_MAX], b[FUIN_TIME_MAX];
    static const struct { const char *kind, *ja; } JA[] = {
        {"disposal", "消去・廃棄"}, {"provide", "外部への提供"},
        {"carry", "持ち出し"}, {"exception", "例外措置"}};
    const char *ja = "";
    for (size_t i = 0; i < sizeof JA / sizeof JA[0]; i++)
        if (strcmp(JA[i].kind, r->kind) == 0)
            ja = JA[i].ja;
    fuin_keyid_hex(r->keyid, rhex);
    fprintf(stderr, "fuin: approve: %s: %s:\n  kind:      %s (%s)\n", fuin_cli_safe(path), head,
            r->kind, ja);
    if (r->format == 1)
        fprintf(stderr, "  asset:     %s\n", fuin_cli_safe(r->asset));
    else
        fprintf(stderr, "  object:    %s\n",
                r->object[0] ? fuin_cli_safe(r->object) : "(none)");
    fprintf(stderr, "  class:     %s\n", fuin_cli_safe(r->class_text));
    if (r->format == 2) {
        if (r->destination[0])
            fprintf(stderr, "  to:        %s\n", fuin_cli_safe(r->destination));
        fuin_time_format_rfc3339(r->valid_from, a, sizeof a);
        fuin_time_format_rfc3339(r->valid_until, b, sizeof b);
        fprintf(stderr, "  valid:     %s to %s\n", a, b);
    }
    fprintf(stderr,
            "  requester: %s (key %s)\n"
            "  reason:    %s\n"
            "  requested: %s\n"
            "  id:        %s\n",
            fuin_cli_safe(r->requester), rhex,
            fuin_cli_safe(r->reason[0] ? r->reason : "(none given)"),
            fuin_cli_safe(r->created), r->hash);
    fflush(stderr);
}

/* fuin approve --check: everything a use would check, nothing claimed. */
static int check_only(const char *path, const char *store_dir, const char *kind,
                      const char *file, const char *asset, const char *object,
                      const char *at)
{
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    char *text = NULL, *rsig = NULL, *asig = NULL, *rpath = NULL, *apath = NULL;
    char obj[FUIN_TEXT_MAX], err[1024], approver[FUIN_CLI_APPROVER_MAX];
    size_t len = 0, rlen = 0, alen = 0;
    int64_t now = 0;
    fuin_request_info info;
    fuin_status s = FUIN_E_INVALID;
    fuin_cli_audit au = {0};
    int rc, missing = 0;

    memset(&info, 0, sizeof info);
    err[0] = '\0';
    if (!fuin_request_kind_valid(kind))
        return fuin_cli_usage(CMD, "--kind: provide, carry, disposal or exception");
    if ((file != NULL) + (asset != NULL) + (object != NULL) > 1)
        return fuin_cli_usage(CMD, "give one of --file, --asset and --object");
    if (at != NULL && fuin_time_parse_date(at, 0, &now) != FUIN_OK)
        return fuin_cli_usage(CMD, "--at \"%.100s\": not a date or RFC 3339 time", at);
    obj[0] = '\0';
    if (asset != NULL)
        snprintf(obj, sizeof obj, "asset:%.200s", asset);
    else if (object != NULL)
        snprintf(obj, sizeof obj, "%.200s", object);
    else if (file != NULL) {
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fuin_cli_error(CMD, file, "cannot open: %s", strerror(errno));
            return FUIN_EXIT_IO;
        }
        err[0] = '\0';
        s = fuin_request_object_fd(fd, obj, sizeof obj, err, sizeof err);
        close(fd);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, file, "%s", fuin_cli_msg(err, s));
            return fuin_cli_exit_code(s, 0);
        }
    }
    if ((rc = fuin_cli_open_store(CMD, store_dir, &store)) != 0)
        goto done;
    if (store == NULL) {
        fuin_cli_error(CMD, NULL, "no trust store (" FUIN_CLI_DEFAULT_STORE "); give --store DIR");
        rc = FUIN_EXIT_USAGE;
        goto done;
    }
    if (now != 0)
        fuin_store_set_time(store, now);
    if ((rc = fuin_cli_load_policy(CMD, store, &pol)) != 0 ||
        (rc = fuin_cli_audit_begin(CMD, pol, NULL, NULL, NULL, &au)) != 0)
        goto done;
    if ((rpath = fuin_cli_suffix(path, ".minisig")) == NULL ||
        (apath = fuin_cli_suffix(path, ".approval")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_read_file(CMD, path, FUIN_CLI_REQUEST_MAX, &text, &len, NULL)) != 0 ||
        (rc = fuin_cli_read_file(CMD, rpath, FUIN_CLI_PUBFILE_MAX, &rsig, &rlen, NULL)) != 0 ||
        (rc = fuin_cli_read_file(CMD, apath, FUIN_CLI_PUBFILE_MAX, &asig, &alen, &missing)) != 0)
        goto done;
    if (missing) {
        /* the answer to "is it approved?" is no, not an I/O error */
        snprintf(err, sizeof err, "not approved: %s does not exist", apath);
        fuin_cli_error(CMD, path, "%s", err);
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    err[0] = '\0';
    s = fuin_approval_check(store, pol, kind, obj[0] ? obj : NULL, now, text, len, rsig, rlen,
                            asig, alen, &info, approver, sizeof approver, err, sizeof err);
    if (s != FUIN_OK) {
        int about_sig = s == FUIN_E_SIGFORMAT || s == FUIN_E_UNTRUSTED || s == FUIN_E_SIGNATURE;
        fuin_cli_error(CMD, !about_sig ? path : strncmp(err, "approver", 8) == 0 ? apath : rpath,
                       "%s", fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    show(path, &info, "approved");
    printf("approved %s %s by %s\n", info.kind, info.hash, approver);
    rc = 0;
done:
    {
        /* a check is a verification: recorded as one, with its result */
        char detail[FUIN_TEXT_MAX + 64];
        fuin_label l;
        int has = rc == 0 && fuin_label_parse(info.class_text, &l, NULL, 0) == FUIN_OK;
        snprintf(detail, sizeof detail, "approval check, %s",
                 rc == 0 ? approver : err[0] ? err : "failed");
        fuin_cli_audit_rec rec = {.op = "verify", .path = path, .label = has ? &l : NULL,
                                  .method = "fuin-approval", .detail = detail,
                                  .request = rc == 0 && info.hash[0] ? info.hash : NULL,
                                  .ok = rc == 0};
        if (au.a != NULL && fuin_cli_audit_end(&au, &rec, NULL) != 0 && rc == 0)
            rc = FUIN_EXIT_IO;
        fuin_cli_audit_drop(&au);
    }
    free(text);
    free(rsig);
    free(asig);
    free(rpath);
    free(apath);
    fuin_policy_free(pol);
    fuin_store_free(store);
    return rc;
}

int fuin_cmd_approve(int argc, char **argv)
{
    const char *dir = NULL, *passfile = NULL, *store_dir = NULL, *path;
    const char *kind = NULL, *file = NULL, *asset = NULL, *object = NULL, *at = NULL;
    int c, rc = 0, help = 0, check = 0;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    fuin_seckey *sk = NULL;
    fuin_cli_audit au = {0};
    fuin_label cls;
    int have_class = 0;
    char detail[FUIN_TEXT_MAX * 3 + 64] = "";
    fuin_pubkey pk;
    fuin_cert cert;
    fuin_cli_request rq;
    char name[FUIN_TEXT_MAX], hex[FUIN_KEYID_HEX], err[1024];
    char *sig = NULL, *apath = NULL;
    size_t siglen = 0;
    fuin_status s;

    memset(&rq, 0, sizeof rq);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", approve_options, NULL)) != -1) {
        switch (c) {
        case OPT_DIR: rc = fuin_cli_set_once(CMD, &dir, optarg, "--dir"); break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &passfile, optarg, "--passphrase-file");
            break;
        case OPT_STORE: rc = fuin_cli_set_once(CMD, &store_dir, optarg, "--store"); break;
        case OPT_CHECK: rc = fuin_cli_set_flag(CMD, &check, "--check"); break;
        case OPT_KIND: rc = fuin_cli_set_once(CMD, &kind, optarg, "--kind"); break;
        case OPT_FILE: rc = fuin_cli_set_once(CMD, &file, optarg, "--file"); break;
        case OPT_ASSET: rc = fuin_cli_set_once(CMD, &asset, optarg, "--asset"); break;
        case OPT_OBJECT: rc = fuin_cli_set_once(CMD, &object, optarg, "--object"); break;
        case OPT_AT: rc = fuin_cli_set_once(CMD, &at, optarg, "--at"); break;
        case 'h': help = 1; break;
        default: return fuin_cli_bad_option(CMD, c, argv);
        }
        if (rc != 0)
            return rc;
    }
    if (help)
        return fuin_cli_print_help(CMD);
    if (optind + 1 != argc)
        return fuin_cli_usage(CMD, "exactly one REQUEST expected");
    path = argv[optind];
    if (check) {
        if (dir != NULL || passfile != NULL)
            return fuin_cli_usage(CMD, "--check uses no key: --dir and --passphrase-file "
                                       "do not apply");
        if (kind == NULL)
            return fuin_cli_usage(CMD, "--check needs --kind KIND");
        return check_only(path, store_dir, kind, file, asset, object, at);
    }
    if (kind || file || asset || object || at)
        return fuin_cli_usage(CMD, "--kind, --file, --asset, --object and --at go with "
                                   "--check");
    if ((apath = fuin_cli_suffix(path, ".approval")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    if ((rc = fuin_cli_open_store(CMD, store_dir, &store)) != 0)
        goto done;
    if (store == NULL) {
        fuin_cli_error(CMD, NULL, "no trust store (" FUIN_CLI_DEFAULT_STORE
                                  "); give --store DIR");
        rc = FUIN_EXIT_USAGE;
        goto done;
    }
    if ((rc = fuin_cli_load_policy(CMD, store, &pol)) != 0)
        goto done;
    if ((rc = fuin_cli_request_check(CMD, store, path, &rq)) != 0)
        goto done;
    if (fuin_cli_exists(apath)) {
        fuin_cli_error(CMD, apath, "already exists");
        rc = FUIN_EXIT_EXISTS;
        goto done;
    }
    /* What is being approved, before the approver's passphrase is asked:
     * nobody signs what they have not seen. */
    show(path, &rq.info, "request to approve");
    have_class = fuin_label_parse(rq.info.class_text, &cls, NULL, 0) == FUIN_OK;
    snprintf(detail, sizeof detail, "%s of %s requested by %s", rq.info.kind,
             rq.info.format == 1 ? rq.asset : rq.info.object[0] ? rq.info.object : "-",
             rq.requester);
    if ((rc = fuin_cli_audit_begin(CMD, pol, NULL, dir, NULL, &au)) != 0 ||
        (rc = fuin_cli_load_operator(CMD, dir, passfile, &sk, name)) != 0)
        goto done;
    fuin_seckey_public(sk, &pk);
    fuin_keyid_hex(pk.keyid, hex);
    if ((rc = approver_cert(dir, store, &pk, &cert)) != 0)
        goto done;
    if (memcmp(pk.keyid, rq.keyid, FUIN_KEYID_BYTES) == 0 ||
        strcmp(cert.card.name, rq.requester) == 0) {
        fuin_cli_error(CMD, path,
                       "%s requested this %s: the person who asks for a "
                       "permission never approves it", rq.requester, rq.info.kind);
        rc = FUIN_EXIT_REFUSED;
        goto done;
    }
    {
        char origin[600];
        const char *need = fuin_approval_required_role(pol, &rq.info, origin, sizeof origin);
        err[0] = '\0';
        if ((s = fuin_approval_may_approve(pol, &rq.info, &cert, err, sizeof err)) != FUIN_OK) {
            if (need != NULL)
                fuin_cli_error(CMD, path,
                               "%s is certified as %s; only a %s approves a%s %s request of "
                               "class %s (%s)",
                               cert.card.name, fuin_role_name(cert.role), need,
                               rq.info.kind[0] == 'e' ? "n" : "", rq.info.kind,
                               rq.info.class_text, origin);
            else
                fuin_cli_error(CMD, path, "%s", fuin_cli_msg(err, s));
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
    }
    err[0] = '\0';
    if ((s = fuin_approval_sign(sk, &cert, rq.text, rq.len, 0, &sig, &siglen, err,
                                sizeof err)) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(err, s));
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_write_public(CMD, apath, sig, siglen)) != 0)
        goto done;
    {
        char who[FUIN_TEXT_MAX + FUIN_KEYID_HEX + 4];
        snprintf(who, sizeof who, "%s (%s)", cert.card.name, hex);
        fuin_cli_audit_rec rec = {.op = "approve", .path = path, .label = have_class ? &cls : NULL,
                                  .method = rq.info.kind, .detail = detail, .approver = who,
                                  .request = rq.info.hash, .ok = 1};
        if (fuin_cli_audit_end(&au, &rec, sk) != 0) {
            /* fail closed: an approval nobody recorded is taken back */
            (void)remove(apath);
            rc = FUIN_EXIT_IO;
            goto done;
        }
    }
    if (rq.info.format == 1)
        fprintf(stderr,
                "fuin: approve: %s: disposal of %s requested by %s approved by %s (%s)\n",
                fuin_cli_safe(path), fuin_cli_safe(rq.asset), fuin_cli_safe(rq.requester),
                fuin_cli_safe(cert.card.name), hex);
    else
        fprintf(stderr, "fuin: approve: %s: %s of %s requested by %s approved by %s (%s, %s)\n",
                fuin_cli_safe(path), rq.info.kind,
                rq.info.object[0] ? fuin_cli_safe(rq.info.object) : "-",
                fuin_cli_safe(rq.requester), fuin_cli_safe(cert.card.name),
                fuin_role_name(cert.role), hex);
done:
    if (au.a != NULL) {
        /* a refusal (the requester, the wrong role) is recorded too */
        fuin_cli_audit_rec rec = {.op = "approve", .path = path, .label = have_class ? &cls : NULL,
                                  .method = rq.info.kind, .detail = detail,
                                  .request = rq.info.hash[0] ? rq.info.hash : NULL, .ok = 0};
        (void)fuin_cli_audit_end(&au, &rec, sk);
    }
    fuin_cli_audit_drop(&au);
    fuin_seckey_free(sk);
    fuin_policy_free(pol);
    fuin_store_free(store);
    fuin_cli_request_clear(&rq);
    free(sig);
    free(apath);
    return rc;
}
