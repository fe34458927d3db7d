/* fuin request provide|carry|disposal|exception ... -o REQUEST
 * The requester's signed request that someone else approve a permission
 * (separation of duties, policy 2.2(8)); docs/approvals.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "common.h"

static const char *const CMD = "request";

enum {
    OPT_ASSET = 256, OPT_CLASS, OPT_REASON, OPT_DIR, OPT_PASSFILE, OPT_STORE, OPT_FILE,
    OPT_OBJECT, OPT_TO, OPT_VALID_DAYS, OPT_VALID_FROM
};

static const struct option request_options[] = {
    {"asset", required_argument, NULL, OPT_ASSET},
    {"class", required_argument, NULL, OPT_CLASS},
    {"reason", required_argument, NULL, OPT_REASON},
    {"file", required_argument, NULL, OPT_FILE},
    {"object", required_argument, NULL, OPT_OBJECT},
    {"to", required_argument, NULL, OPT_TO},
    {"valid-days", required_argument, NULL, OPT_VALID_DAYS},
    {"valid-from", required_argument, NULL, OPT_VALID_FROM},
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"store", required_argument, NULL, OPT_STORE},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A request line value: one line of printable text. */
static int plain_value(const char *v)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* The object of --file PATH...: one regular file, its sha256 (what fuin
 * encrypt checks); several paths or a directory, the package's
 * (fuin_packer_object, what fuin pack checks). */
static int file_object(char **files, int n, char obj[FUIN_OBJECT_MAX])
{
    struct stat st;
    char err[256];
    fuin_status s;
    if (n == 1 && stat(files[0], &st) == 0 && S_ISREG(st.st_mode)) {
        int fd = open(files[0], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fuin_cli_error(CMD, files[0], "cannot open: %s", strerror(errno));
            return FUIN_EXIT_IO;
        }
        err[0] = '\0';
        s = fuin_request_object_fd(fd, obj, FUIN_OBJECT_MAX, err, sizeof err);
        close(fd);
        if (s != FUIN_OK) {
            fuin_cli_error(CMD, files[0], "%s", fuin_cli_msg(err, s));
            return fuin_cli_exit_code(s, 0);
        }
        return 0;
    }
    {
        fuin_packer *pk = fuin_packer_new();
        if (pk == NULL) {
            fuin_cli_error(CMD, NULL, "out of memory");
            return FUIN_EXIT_INTERNAL;
        }
        for (int i = 0; i < n; i++)
            if ((s = fuin_packer_add_path(pk, files[i])) != FUIN_OK)
                goto fail;
        if ((s = fuin_packer_object(pk, obj, FUIN_OBJECT_MAX)) != FUIN_OK)
            goto fail;
        fuin_packer_free(pk);
        return 0;
    fail:
        fuin_cli_error(CMD, NULL, "--file: %s", fuin_cli_msg(fuin_packer_errmsg(pk), s));
        fuin_packer_free(pk);
        return fuin_cli_exit_code(s, 0);
    }
}

int fuin_cmd_request(int argc, char **argv)
{
    const char *asset = NULL, *class_text = NULL, *reason = NULL, *dir = NULL;
    const char *passfile = NULL, *out = NULL, *store_dir = NULL, *object = NULL, *to = NULL;
    const char *days_text = NULL, *from_text = NULL, *kind;
    char **files = NULL;
    int nfiles = 0;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    int c, rc = 0, help = 0, disposal;
    fuin_label label;
    char err[512], name[FUIN_TEXT_MAX], hex[FUIN_KEYID_HEX];
    char *text = NULL, *sig = NULL, *sigpath = NULL;
    size_t tlen = 0, siglen = 0;
    fuin_seckey *sk = NULL;
    fuin_cli_audit au = {0};
    fuin_pubkey pk;
    fuin_request_info in;
    fuin_status s;
    int64_t now = (int64_t)time(NULL);

    if ((files = calloc((size_t)argc + 1, sizeof *files)) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:", request_options, NULL)) != -1) {
        switch (c) {
        case OPT_ASSET: rc = fuin_cli_set_once(CMD, &asset, optarg, "--asset"); break;
        case OPT_CLASS: rc = fuin_cli_set_once(CMD, &class_text, optarg, "--class"); break;
        case OPT_REASON: rc = fuin_cli_set_once(CMD, &reason, optarg, "--reason"); break;
        case OPT_FILE: files[nfiles++] = optarg; break;
        case OPT_OBJECT: rc = fuin_cli_set_once(CMD, &object, optarg, "--object"); break;
        case OPT_TO: rc = fuin_cli_set_once(CMD, &to, optarg, "--to"); break;
        case OPT_VALID_DAYS:
            rc = fuin_cli_set_once(CMD, &days_text, optarg, "--valid-days");
            break;
        case OPT_VALID_FROM:
            rc = fuin_cli_set_once(CMD, &from_text, optarg, "--valid-from");
            break;
        case OPT_DIR: rc = fuin_cli_set_once(CMD, &dir, optarg, "--dir"); break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &passfile, optarg, "--passphrase-file");
            break;
        case OPT_STORE: rc = fuin_cli_set_once(CMD, &store_dir, optarg, "--store"); break;
        case 'o': rc = fuin_cli_set_once(CMD, &out, optarg, "-o/--output"); break;
        case 'h': help = 1; break;
        default: rc = fuin_cli_bad_option(CMD, c, argv); break;
        }
        if (rc != 0)
            goto done;
    }
    if (help) {
        rc = fuin_cli_print_help(CMD);
        goto done;
    }
    if (optind >= argc || !fuin_request_kind_valid(argv[optind])) {
        rc = fuin_cli_usage(CMD, "expected provide, carry, disposal or exception");
        goto done;
    }
    kind = argv[optind];
    disposal = strcmp(kind, "disposal") == 0;
    if (optind + 1 != argc) {
        rc = fuin_cli_usage(CMD, "unexpected argument \"%.100s\"", argv[optind + 1]);
        goto done;
    }
    if (class_text == NULL || out == NULL) {
        rc = fuin_cli_usage(CMD, disposal ? "--asset, --class and -o are required"
                                          : "--class and -o are required");
        goto done;
    }
    if (disposal && asset == NULL) {
        rc = fuin_cli_usage(CMD, "--asset, --class and -o are required");
        goto done;
    }
    if (disposal && (nfiles || object || to || days_text || from_text)) {
        rc = fuin_cli_usage(CMD, "disposal takes --asset, not --file, --object, --to, "
                                 "--valid-days or --valid-from");
        goto done;
    }
    if ((nfiles > 0) + (object != NULL) + (asset != NULL && !disposal) > 1) {
        rc = fuin_cli_usage(CMD, "give one of --file, --object and --asset");
        goto done;
    }
    if (strcmp(kind, "provide") == 0 && asset != NULL) {
        rc = fuin_cli_usage(CMD, "provide names the information: --file or --object, not "
                                 "--asset");
        goto done;
    }
    if ((strcmp(kind, "provide") == 0 || strcmp(kind, "carry") == 0) &&
        (to == NULL || (nfiles == 0 && object == NULL && asset == NULL))) {
        rc = fuin_cli_usage(CMD, strcmp(kind, "provide") == 0
                                     ? "provide needs --file or --object, and --to"
                                     : "carry needs --file, --asset or --object, and --to");
        goto done;
    }
    if (strcmp(kind, "exception") == 0 && to != NULL) {
        rc = fuin_cli_usage(CMD, "an exception has no --to");
        goto done;
    }
    if (strcmp(kind, "exception") == 0 && (reason == NULL || reason[0] == '\0')) {
        rc = fuin_cli_usage(CMD, "an exception needs --reason");
        goto done;
    }
    if (reason == NULL)
        reason = "";
    if (asset != NULL && (asset[0] == '\0' || strlen(asset) >= FUIN_TEXT_MAX - 8 ||
                          !plain_value(asset))) {
        rc = fuin_cli_usage(CMD, "--asset must be one line of text");
        goto done;
    }
    if (to != NULL && (to[0] == '\0' || strlen(to) >= FUIN_TEXT_MAX || !plain_value(to))) {
        rc = fuin_cli_usage(CMD, "--to must be one line of text");
        goto done;
    }
    if (strlen(reason) >= FUIN_REASON_MAX || !plain_value(reason)) {
        rc = fuin_cli_usage(CMD, "--reason must be one line of text");
        goto done;
    }
    err[0] = '\0';
    if ((s = fuin_label_parse(class_text, &label, err, sizeof err)) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "--class: %s", fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 1);
        goto done;
    }
    memset(&in, 0, sizeof in);
    snprintf(in.kind, sizeof in.kind, "%s", kind);
    (void)fuin_label_format(&label, in.class_text, sizeof in.class_text);
    snprintf(in.reason, sizeof in.reason, "%s", reason);
    if (to != NULL)
        snprintf(in.destination, sizeof in.destination, "%s", to);
    if (disposal)
        snprintf(in.asset, sizeof in.asset, "%s", asset);
    else if (asset != NULL)
        snprintf(in.object, sizeof in.object, "asset:%s", asset);
    else if (object != NULL) {
        if (strlen(object) >= sizeof in.object) {
            rc = fuin_cli_usage(CMD, "--object: sha256:<64 lower-case hex> or asset:ID");
            goto done;
        }
        snprintf(in.object, sizeof in.object, "%s", object);
    }
    if ((rc = fuin_cli_check_output(CMD, out, -1)) != 0)
        goto done;
    if ((sigpath = fuin_cli_suffix(out, ".minisig")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if (fuin_cli_exists(sigpath)) {
        fuin_cli_error(CMD, sigpath, "already exists");
        rc = FUIN_EXIT_EXISTS;
        goto done;
    }
    /* A request only a certified requester can have approved: with a
     * trust store, say so now rather than at the approver's desk. */
    if ((rc = fuin_cli_open_store(CMD, store_dir, &store)) != 0 ||
        (rc = fuin_cli_load_policy(CMD, store, &pol)) != 0)
        goto done;
    if (!disposal) {
        int max = fuin_policy_approval_max_days(pol), days = max < 7 ? max : 7;
        int64_t from = now;
        if (days_text != NULL) {
            char *end;
            long d = strtol(days_text, &end, 10);
            if (*end != '\0' || end == days_text || d < 1 || d > 366) {
                rc = fuin_cli_usage(CMD, "--valid-days N: N is 1 to 366");
                goto done;
            }
            days = (int)d;
        }
        if (from_text != NULL && (fuin_time_parse_date(from_text, 0, &from) != FUIN_OK ||
                                  from < now - 86400)) {
            rc = fuin_cli_usage(CMD, "--valid-from \"%.100s\": not a date from today on",
                                from_text);
            goto done;
        }
        if (from < now)
            from = now;
        in.valid_from = from;
        in.valid_until = from + (int64_t)days * 86400;
        if (in.valid_until - now > (int64_t)max * 86400) {
            char v[32], where[512];
            unsigned line = 0;
            where[0] = '\0';
            if (fuin_policy_value(pol, "approval", "max_days", v, sizeof v, &line) == FUIN_OK)
                (void)fuin_policy_origin(pol, line, where, sizeof where);
            fuin_cli_error(CMD, NULL,
                           "policy: %s: [approval] max_days = %d: a request is valid for at "
                           "most %d days from now; give a shorter --valid-days or a nearer "
                           "--valid-from",
                           where[0] ? where : "built-in default", max, max);
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
        if (nfiles > 0) {
            if ((rc = file_object(files, nfiles, in.object)) != 0)
                goto done;
        }
    }
    if (store != NULL) {
        fuin_pubkey op;
        if ((rc = fuin_cli_load_operator_pub(CMD, dir, &op)) != 0)
            goto done;
        if (fuin_store_find_keyid(store, op.keyid) == NULL) {
            fuin_keyid_hex(op.keyid, hex);
            fuin_cli_error(CMD, NULL,
                           "your key %s has no valid certificate in the trust "
                           "store, so no manager can approve a request signed "
                           "with it: have the CISO certify your card.pub and "
                           "install it (fuin store add)",
                           hex);
            rc = FUIN_EXIT_REFUSED;
            goto done;
        }
    }
    /* nothing is asked for a request that cannot be recorded */
    if ((rc = fuin_cli_audit_begin(CMD, pol, NULL, dir, NULL, &au)) != 0 ||
        (rc = fuin_cli_load_operator(CMD, dir, passfile, &sk, name)) != 0)
        goto done;
    fuin_seckey_public(sk, &pk);
    fuin_keyid_hex(pk.keyid, hex);
    snprintf(in.requester, sizeof in.requester, "%s", name);
    memcpy(in.keyid, pk.keyid, FUIN_KEYID_BYTES);
    in.created_at = now;
    err[0] = '\0';
    if ((s = fuin_request_format(&in, &text, &tlen, err, sizeof err)) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 1);
        goto done;
    }
    err[0] = '\0';
    if ((s = fuin_request_sign(sk, text, tlen, &sig, &siglen, err, sizeof err)) != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "%s", fuin_cli_msg(err, s));
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_write_public(CMD, out, text, tlen)) != 0)
        goto done;
    if ((rc = fuin_cli_write_public(CMD, sigpath, sig, siglen)) != 0) {
        (void)remove(out);
        goto done;
    }
    {
        char id[65], detail[FUIN_TEXT_MAX * 3 + 64];
        fuin_label l;
        int has = fuin_label_parse(in.class_text, &l, NULL, 0) == FUIN_OK;
        fuin_cli_sha256_hex(text, tlen, id);
        snprintf(detail, sizeof detail, "%s of %s%s%s", kind,
                 disposal ? asset : in.object[0] ? in.object : "-", to ? " to " : "",
                 to ? to : "");
        fuin_cli_audit_rec rec = {.op = "request", .path = out, .label = has ? &l : NULL,
                                  .method = kind, .detail = detail, .request = id,
                                  .asset = disposal ? asset : NULL, .ok = 1};
        if (fuin_cli_audit_end(&au, &rec, sk) != 0) {
            /* fail closed: a request nobody recorded is taken back */
            (void)remove(out);
            (void)remove(sigpath);
            rc = FUIN_EXIT_IO;
            goto done;
        }
    }
    if (disposal)
        fprintf(stderr, "fuin: request: %s: disposal of %s requested by %s (%s)\n",
                fuin_cli_safe(out), fuin_cli_safe(asset), fuin_cli_safe(name), hex);
    else {
        char until[FUIN_TIME_MAX];
        fuin_time_format_rfc3339(in.valid_until, until, sizeof until);
        fprintf(stderr, "fuin: request: %s: %s of %s (%s)%s%s requested by %s (%s), valid "
                        "until %s\n",
                fuin_cli_safe(out), kind, in.object[0] ? fuin_cli_safe(in.object) : "-",
                in.class_text, to ? " to " : "", to ? fuin_cli_safe(to) : "",
                fuin_cli_safe(name), hex, until);
    }
done:
    fuin_cli_audit_drop(&au);
    fuin_policy_free(pol);
    fuin_store_free(store);
    fuin_seckey_free(sk);
    free(sig);
    free(text);
    free(sigpath);
    free(files);
    return rc;
}
