/* fuin key new --name NAME [--email ADDR] [--dir DIR] [--passphrase-file FILE]
 * fuin key show [--json] [--store DIR] [DIR|CARD]
 * fuin key passwd [--dir DIR] [--passphrase-file OLD]
 *                 [--new-passphrase-file NEW] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "audit.h"
#include "common.h"

static const char *const CMD = "key";

enum { OPT_NAME = 256, OPT_EMAIL, OPT_DIR, OPT_PASSFILE, OPT_NEWPASSFILE,
       OPT_STORE, OPT_JSON };

static const struct option new_options[] = {
    {"name", required_argument, NULL, OPT_NAME},
    {"email", required_argument, NULL, OPT_EMAIL},
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"store", required_argument, NULL, OPT_STORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option show_options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"store", required_argument, NULL, OPT_STORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option passwd_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
    {"new-passphrase-file", required_argument, NULL, OPT_NEWPASSFILE},
    {"store", required_argument, NULL, OPT_STORE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The files of a staff identity directory. */
enum { F_IDENTITY, F_SIGNKEY, F_SIGNPUB, F_CARD, N_FILES };
static const char *const file_names[N_FILES] = {"identity.age", "sign.key",
                                                "sign.pub", "card.pub"};

/* age-keygen's text: two comment lines and the secret key line. */
#define IDENTITY_TEXT_CAP (64 + 2 * FUIN_RECIPIENT_MAX + FUIN_IDENTITY_MAX)
/* identity.age decrypts to the text above; anything longer is not ours. */
#define IDENTITY_PLAIN_CAP 4096

/* ---- in-memory age streams ---------------------------------------------- */

typedef struct {
    uint8_t *buf;
    size_t len, cap;
} membuf;

static int mem_write(void *ctx, const uint8_t *p, size_t n)
{
    membuf *m = ctx;
    if (n > SIZE_MAX / 2 - m->len)
        return -1;
    if (m->len + n > m->cap) {
        size_t cap = (m->len + n) * 2;
        uint8_t *nb = realloc(m->buf, cap);
        if (nb == NULL)
            return -1;
        m->buf = nb;
        m->cap = cap;
    }
    memcpy(m->buf + m->len, p, n);
    m->len += n;
    return 0;
}

/* The plaintext is a secret key: it goes to guarded memory only. */
typedef struct {
    char *buf; /* sodium_malloc(IDENTITY_PLAIN_CAP) */
    size_t len;
} secretbuf;

static int secret_write(void *ctx, const uint8_t *p, size_t n)
{
    secretbuf *s = ctx;
    if (n >= IDENTITY_PLAIN_CAP - s->len)
        return -1;
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return 0;
}

/* identity.age: the identity text encrypted with the passphrase in age's
 * scrypt mode, which `age -d -i identity.age` recognises and opens. */
static int encrypt_identity(const char *text, size_t len, const char *pass,
                            size_t plen, membuf *out)
{
    fuin_encryptor *e = fuin_encryptor_new();
    fuin_status s;
    if (e == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    s = fuin_encryptor_set_passphrase(e, pass, plen, FUIN_DEFAULT_SCRYPT_LOG_N);
    if (s == FUIN_OK)
        s = fuin_encrypt_begin(e, mem_write, out);
    if (s == FUIN_OK)
        s = fuin_encrypt_update(e, (const uint8_t *)text, len);
    if (s == FUIN_OK)
        s = fuin_encrypt_final(e);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "cannot encrypt the identity: %s",
                       fuin_cli_msg(fuin_encryptor_errmsg(e), s));
        fuin_encryptor_free(e);
        return fuin_cli_exit_code(s, 0);
    }
    fuin_encryptor_free(e);
    return 0;
}

static int decrypt_identity(const char *path, const char *pass, size_t plen,
                            secretbuf *out)
{
    char *text;
    size_t len;
    fuin_decryptor *d;
    fuin_status s;
    int rc = fuin_cli_read_keyfile(CMD, path, path, &text, &len);
    if (rc != 0)
        return rc;
    d = fuin_decryptor_new();
    if (d == NULL) {
        fuin_cli_free_secret(text, len + 1);
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    s = fuin_decryptor_add_passphrase(d, pass, plen);
    if (s == FUIN_OK)
        s = fuin_decrypt_begin(d, secret_write, out);
    if (s == FUIN_OK)
        s = fuin_decrypt_update(d, (const uint8_t *)text, len);
    if (s == FUIN_OK)
        s = fuin_decrypt_final(d);
    fuin_cli_free_secret(text, len + 1);
    if (s == FUIN_E_NO_MATCH) {
        fuin_cli_error(CMD, path, "wrong passphrase");
        rc = FUIN_EXIT_REFUSED;
    } else if (s != FUIN_OK) {
        fuin_cli_error(CMD, path, "%s", fuin_cli_msg(fuin_decryptor_errmsg(d), s));
        rc = fuin_cli_exit_code(s, 0);
    }
    fuin_decryptor_free(d);
    return rc;
}

static int now_rfc3339(int64_t *now, char buf[FUIN_TIME_MAX])
{
    *now = (int64_t)time(NULL);
    if (fuin_time_format_rfc3339(*now, buf, FUIN_TIME_MAX) == 0) {
        fuin_cli_error(CMD, NULL, "cannot format the current time");
        return FUIN_EXIT_INTERNAL;
    }
    return 0;
}

/* ---- key new ------------------------------------------------------------ */

static int copy_text(char *dst, const char *src, const char *opt)
{
    size_t n = strlen(src);
    if (n >= FUIN_TEXT_MAX)
        return fuin_cli_usage(CMD, "%s longer than %d bytes", opt,
                              FUIN_TEXT_MAX - 1);
    memcpy(dst, src, n + 1);
    return 0;
}

static int key_new(int argc, char **argv)
{
    const char *name = NULL, *email = NULL, *dir_arg = NULL, *passfile = NULL;
    const char *store_dir = NULL;
    char *dir = NULL, *paths[N_FILES] = {NULL};
    int created[N_FILES] = {0};
    fuin_cli_staged staged[N_FILES] = {{0}};
    int dir_existed = 1;
    char *identity = NULL, *idtext = NULL, *pass = NULL, *seckey_text = NULL;
    char *card_text = NULL, pubtext[512], when[FUIN_TIME_MAX];
    size_t plen = 0, card_len = 0, seckey_len = 0, publen;
    fuin_card card;
    fuin_seckey *sk = NULL;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    fuin_cli_audit au = {0};
    membuf enc = {0};
    int64_t now;
    int c, rc = 0, help = 0, n;
    fuin_status s;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", new_options, NULL)) != -1) {
        switch (c) {
        case OPT_NAME:
            rc = fuin_cli_set_once(CMD, &name, optarg, "--name");
            break;
        case OPT_EMAIL:
            rc = fuin_cli_set_once(CMD, &email, optarg, "--email");
            break;
        case OPT_DIR:
            rc = fuin_cli_set_once(CMD, &dir_arg, optarg, "--dir");
            break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &passfile, optarg, "--passphrase-file");
            break;
        case OPT_STORE:
            rc = fuin_cli_set_once(CMD, &store_dir, optarg, "--store");
            break;
        case 'h':
            help = 1;
            break;
        default:
            return fuin_cli_bad_option(CMD, c, argv);
        }
        if (rc != 0)
            return rc;
    }
    if (help)
        return fuin_cli_print_help(CMD);
    if (optind < argc)
        return fuin_cli_usage(CMD, "new: unexpected argument \"%s\"", argv[optind]);
    if (name == NULL)
        return fuin_cli_usage(CMD, "new: --name is required");

    memset(&card, 0, sizeof card);
    if ((rc = copy_text(card.name, name, "--name")) != 0 ||
        (rc = copy_text(card.email, email ? email : "", "--email")) != 0)
        return rc;

    if (dir_arg != NULL) {
        dir = strdup(dir_arg);
        if (dir == NULL) {
            fuin_cli_error(CMD, NULL, "out of memory");
            return FUIN_EXIT_INTERNAL;
        }
    } else if ((rc = fuin_cli_default_dir(CMD, NULL, &dir)) != 0) {
        return rc;
    }
    for (int i = 0; i < N_FILES; i++) {
        paths[i] = fuin_cli_path(dir, file_names[i]);
        if (paths[i] == NULL) {
            fuin_cli_error(CMD, NULL, "out of memory");
            rc = FUIN_EXIT_INTERNAL;
            goto done;
        }
    }
    /* An identity is never replaced: losing identity.age loses every file
     * encrypted to it. */
    n = 0;
    for (int i = 0; i < N_FILES; i++)
        n += fuin_cli_exists(paths[i]) != 0;
    if (n > 0 && !fuin_cli_exists(paths[F_CARD])) {
        /* card.pub is written last: without it, an earlier key new was
         * interrupted between its files (kill -9, power loss). */
        fuin_cli_error(CMD, dir,
                       "holds an incomplete identity (no card.pub): an earlier "
                       "key new was interrupted; move the directory away and "
                       "run key new again");
        rc = FUIN_EXIT_EXISTS;
        goto done;
    }
    for (int i = 0; i < N_FILES; i++) {
        if (fuin_cli_exists(paths[i])) {
            fuin_cli_error(CMD, paths[i],
                           "file exists (a key is already there; use --dir "
                           "for another place)");
            rc = FUIN_EXIT_EXISTS;
            goto done;
        }
    }
    if ((rc = fuin_cli_open_store(CMD, store_dir, &store)) != 0 ||
        (rc = fuin_cli_load_policy(CMD, store, &pol)) != 0 ||
        (rc = fuin_cli_audit_begin(CMD, pol, NULL, dir, NULL, &au)) != 0)
        goto done;

    /* Keys and card first, so a bad --name or --email is reported before
     * anyone types a passphrase. */
    if ((rc = now_rfc3339(&now, when)) != 0)
        goto done;
    identity = sodium_malloc(FUIN_IDENTITY_MAX);
    idtext = sodium_malloc(IDENTITY_TEXT_CAP);
    if (identity == NULL || idtext == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    s = fuin_keygen(identity, FUIN_IDENTITY_MAX, card.age_recipient,
                    sizeof card.age_recipient);
    if (s == FUIN_OK)
        s = fuin_seckey_generate(&sk, &card.sign_pk);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "cannot generate keys: %s", fuin_strerror(s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    card.created = now;
    s = fuin_card_format(&card, &card_text, &card_len);
    if (s != FUIN_OK) {
        /* Tell which of the two values broke the card's rules. */
        char saved[FUIN_TEXT_MAX];
        memcpy(saved, card.email, sizeof saved);
        card.email[0] = '\0';
        if (fuin_card_format(&card, &card_text, &card_len) == FUIN_OK) {
            free(card_text);
            card_text = NULL;
            rc = fuin_cli_usage(CMD, "new: --email \"%.200s\" is not a valid "
                                     "e-mail address (local@domain, no spaces "
                                     "or control characters)",
                                saved);
        } else {
            rc = fuin_cli_usage(CMD, "new: --name \"%.200s\" is not a valid "
                                     "name (non-empty, no leading or trailing "
                                     "space, no control or invisible "
                                     "characters)",
                                name);
        }
        goto done;
    }

    {
        fuin_cli_pass p = {.cmd = CMD, .file = passfile};
        if ((rc = fuin_cli_new_passphrase(&p, pol, &pass, &plen)) != 0)
            goto done;
    }

    n = snprintf(idtext, IDENTITY_TEXT_CAP,
                 "# created: %s\n# public key: %s\n%s\n", when,
                 card.age_recipient, identity);
    if (n < 0 || (size_t)n >= IDENTITY_TEXT_CAP) {
        fuin_cli_error(CMD, NULL, "identity text does not fit");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = encrypt_identity(idtext, (size_t)n, pass, plen, &enc)) != 0)
        goto done;
    s = fuin_seckey_format(sk, pass, plen, 0, 0, &seckey_text, &seckey_len);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "cannot protect the signing key: %s",
                       fuin_strerror(s));
        rc = fuin_cli_exit_code(s, s == FUIN_E_INVALID);
        goto done;
    }
    publen = fuin_pubkey_format(&card.sign_pk, NULL, pubtext, sizeof pubtext);
    if (publen == 0 || publen >= sizeof pubtext) {
        fuin_cli_error(CMD, NULL, "cannot format the public key");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }

    dir_existed = fuin_cli_exists(dir);
    if ((rc = fuin_cli_mkdir_private(CMD, dir)) != 0)
        goto done;
    /* All four are written and synced unnamed first, then linked into
     * place with card.pub last: a kill between the links leaves whole
     * files without card.pub, which the next key new recognises. */
    rc = fuin_cli_stage(CMD, paths[F_IDENTITY], enc.buf, enc.len, 0600, -1, &staged[F_IDENTITY]);
    if (rc == 0)
        rc = fuin_cli_stage(CMD, paths[F_SIGNKEY], seckey_text, seckey_len, 0600, -1,
                            &staged[F_SIGNKEY]);
    if (rc == 0)
        rc = fuin_cli_stage(CMD, paths[F_SIGNPUB], pubtext, publen, 0644, -1,
                            &staged[F_SIGNPUB]);
    if (rc == 0)
        rc = fuin_cli_stage(CMD, paths[F_CARD], card_text, card_len, 0644, -1,
                            &staged[F_CARD]);
    for (int i = 0; rc == 0 && i < N_FILES; i++)
        if ((rc = fuin_cli_commit(CMD, &staged[i])) == 0)
            created[i] = 1;
    if (rc != 0) {
        /* Half an identity is worse than none: the next `key new` would
         * refuse, and a card without its keys would mislead. */
        for (int i = 0; i < N_FILES; i++) {
            fuin_cli_discard(&staged[i]);
            if (created[i])
                unlink(paths[i]);
        }
        if (!dir_existed)
            (void)rmdir(dir);
        goto done;
    }
    if (fwrite(card_text, 1, card_len, stdout) != card_len ||
        fuin_cli_stdout_check(CMD) != 0) {
        rc = FUIN_EXIT_IO;
    }
    {
        /* signed with the new key: the record is its first use */
        fuin_pubkey npk;
        char kid[FUIN_KEYID_HEX], detail[FUIN_KEYID_HEX + 64];
        fuin_seckey_public(sk, &npk);
        fuin_keyid_hex(npk.keyid, kid);
        snprintf(detail, sizeof detail, "minisign key %s and an age identity", kid);
        fuin_cli_audit_rec rec = {.op = "key-new", .path = dir, .method = "age-x25519 minisign-ed25519",
                                  .detail = detail, .ok = 1, .operator_name = card.name};
        if (fuin_cli_audit_end(&au, &rec, sk) != 0 && rc == 0)
            rc = FUIN_EXIT_IO;
    }
done:
    fuin_cli_audit_drop(&au);
    for (int i = 0; i < N_FILES; i++)
        fuin_cli_discard(&staged[i]);
    for (int i = 0; i < N_FILES; i++)
        free(paths[i]);
    free(dir);
    free(enc.buf);
    free(card_text);
    fuin_secret_free(seckey_text);
    if (pass != NULL)
        fuin_cli_free_secret(pass, FUIN_CLI_PASS_MAX + 1);
    if (identity != NULL)
        fuin_cli_free_secret(identity, FUIN_IDENTITY_MAX);
    if (idtext != NULL)
        fuin_cli_free_secret(idtext, IDENTITY_TEXT_CAP);
    fuin_seckey_free(sk);
    fuin_policy_free(pol);
    fuin_store_free(store);
    return rc;
}

/* ---- key show ----------------------------------------------------------- */

typedef struct {
    int present;       /* a certificate was found                          */
    fuin_cert cert;
    const char *path;
    int verified;      /* checked with the trust store's root              */
    fuin_status status;
    char reason[512];  /* why it is not usable, or how it was checked      */
} cert_info;

/* Look at the certificate at cert_path (if any) for `card`. */
static int load_cert(const char *cert_path, const fuin_card *card,
                     const fuin_store *store, cert_info *ci)
{
    char *text = NULL, *sig = NULL, *sig_path = NULL, err[512];
    size_t len, siglen;
    int missing, rc;
    fuin_status s;

    memset(ci, 0, sizeof *ci);
    ci->path = cert_path;
    rc = fuin_cli_read_file(CMD, cert_path, FUIN_CLI_PUBFILE_MAX, &text, &len,
                            &missing);
    if (rc != 0 || missing)
        return rc;
    err[0] = '\0';
    s = fuin_cert_parse(text, len, &ci->cert, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, cert_path, "%s", fuin_cli_msg(err, s));
        free(text);
        return fuin_cli_exit_code(s, 0);
    }
    ci->present = 1;
    ci->status = FUIN_OK;
    if (card != NULL &&
        (sodium_memcmp(ci->cert.card.sign_pk.pk, card->sign_pk.pk,
                       sizeof card->sign_pk.pk) != 0 ||
         strcmp(ci->cert.card.age_recipient, card->age_recipient) != 0)) {
        ci->status = FUIN_E_WRONG_KEY;
        snprintf(ci->reason, sizeof ci->reason,
                 "the certificate is for other keys than this card");
        goto out;
    }
    if (store == NULL) {
        snprintf(ci->reason, sizeof ci->reason,
                 "not checked: no trust store (use --store)");
        goto out;
    }
    sig_path = fuin_cli_suffix(cert_path, ".minisig");
    if (sig_path == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto out;
    }
    rc = fuin_cli_read_file(CMD, sig_path, FUIN_CLI_PUBFILE_MAX, &sig, &siglen,
                            &missing);
    if (rc != 0)
        goto out;
    if (missing) {
        ci->status = FUIN_E_SIGNATURE;
        snprintf(ci->reason, sizeof ci->reason, "signature missing (no %s)",
                 sig_path);
        goto out;
    }
    err[0] = '\0';
    s = fuin_cert_verify(text, len, sig, siglen, fuin_store_root(store),
                         &ci->cert, err, sizeof err);
    if (s == FUIN_OK) {
        s = fuin_store_check_cert(store, &ci->cert, err, sizeof err);
        ci->verified = 1;
    }
    ci->status = s;
    if (s == FUIN_OK)
        snprintf(ci->reason, sizeof ci->reason,
                 "valid, certified by the trust store's root");
    else
        snprintf(ci->reason, sizeof ci->reason, "%s", fuin_cli_msg(err, s));
out:
    free(sig_path);
    free(sig);
    free(text);
    return rc;
}

static const char *status_word(fuin_status s)
{
    switch (s) {
    case FUIN_OK:
        return "ok";
    case FUIN_E_EXPIRED:
        return "expired";
    case FUIN_E_REVOKED:
        return "revoked";
    case FUIN_E_FOREIGN_ROOT:
        return "foreign-root";
    case FUIN_E_WRONG_KEY:
        return "wrong-key";
    case FUIN_E_SIGFORMAT:
        return "malformed";
    default:
        return "invalid";
    }
}

static int show_json(const fuin_card *card, const cert_info *ci)
{
    char hex[FUIN_KEYID_HEX], b64[128], t1[FUIN_TIME_MAX], t2[FUIN_TIME_MAX];
    json_t *o = json_object(), *co = NULL;
    char *out = NULL;
    int bad = o == NULL;

    fuin_keyid_hex(card->sign_pk.keyid, hex);
    fuin_pubkey_base64(&card->sign_pk, b64, sizeof b64);
    fuin_time_format_rfc3339(card->created, t1, sizeof t1);
    bad = bad || json_object_set_new(o, "name", json_string(card->name)) ||
          json_object_set_new(o, "email", card->email[0] ? json_string(card->email)
                                                         : json_null()) ||
          json_object_set_new(o, "age_recipient", json_string(card->age_recipient)) ||
          json_object_set_new(o, "minisign_key_id", json_string(hex)) ||
          json_object_set_new(o, "minisign_public_key", json_string(b64)) ||
          json_object_set_new(o, "created", json_string(t1));
    if (!bad && ci->present) {
        co = json_object();
        fuin_keyid_hex(ci->cert.root_keyid, hex);
        fuin_time_format_rfc3339(ci->cert.valid_from, t1, sizeof t1);
        fuin_time_format_rfc3339(ci->cert.valid_until, t2, sizeof t2);
        bad = co == NULL ||
              json_object_set_new(co, "file", json_string(ci->path)) ||
              json_object_set_new(co, "serial", json_string(ci->cert.serial)) ||
              json_object_set_new(co, "organisation",
                                  json_string(ci->cert.organisation)) ||
              json_object_set_new(co, "role",
                                  json_string(fuin_role_name(ci->cert.role))) ||
              json_object_set_new(co, "valid_from", json_string(t1)) ||
              json_object_set_new(co, "valid_until", json_string(t2)) ||
              json_object_set_new(co, "root_key_id", json_string(hex)) ||
              json_object_set_new(co, "verified", json_boolean(ci->verified)) ||
              json_object_set_new(co, "status", json_string(status_word(ci->status))) ||
              json_object_set_new(co, "reason", json_string(ci->reason));
        if (!bad) {
            bad = json_object_set_new(o, "certificate", co) != 0;
            co = NULL;
        }
    } else if (!bad) {
        bad = json_object_set_new(o, "certificate", json_null()) != 0;
    }
    json_decref(co);
    if (!bad)
        out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (out == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        return FUIN_EXIT_INTERNAL;
    }
    printf("%s\n", out);
    free(out);
    return 0;
}

static void show_text(const fuin_card *card, const cert_info *ci)
{
    char hex[FUIN_KEYID_HEX], b64[128], t1[FUIN_TIME_MAX], t2[FUIN_TIME_MAX];
    fuin_keyid_hex(card->sign_pk.keyid, hex);
    fuin_pubkey_base64(&card->sign_pk, b64, sizeof b64);
    fuin_time_format_rfc3339(card->created, t1, sizeof t1);
    printf("name:                %s\n", fuin_cli_safe(card->name));
    printf("email:               %s\n", fuin_cli_safe(card->email[0] ? card->email : "(none)"));
    printf("age-recipient:       %s\n", card->age_recipient);
    printf("minisign-key-id:     %s\n", hex);
    printf("minisign-public-key: %s\n", b64);
    printf("created:             %s\n", t1);
    if (!ci->present) {
        printf("certificate:         none\n");
        return;
    }
    fuin_keyid_hex(ci->cert.root_keyid, hex);
    fuin_time_format_rfc3339(ci->cert.valid_from, t1, sizeof t1);
    fuin_time_format_rfc3339(ci->cert.valid_until, t2, sizeof t2);
    printf("certificate:         %s\n", fuin_cli_safe(ci->path));
    printf("  organisation:      %s\n", fuin_cli_safe(ci->cert.organisation));
    printf("  role:              %s\n", fuin_role_name(ci->cert.role));
    printf("  valid:             %s to %s\n", t1, t2);
    printf("  serial:            %s\n", ci->cert.serial);
    printf("  root-key-id:       %s\n", hex);
    printf("  status:            %s%s%s\n",
           ci->status == FUIN_OK ? "" : status_word(ci->status),
           ci->status == FUIN_OK ? "" : ": ", ci->reason);
}

static int key_show(int argc, char **argv)
{
    const char *store_dir = NULL, *arg;
    char *dir = NULL, *card_path = NULL, *cert_path = NULL, *text = NULL;
    size_t len;
    int c, rc = 0, help = 0, json = 0, is_cert = 0;
    fuin_card card;
    cert_info ci;
    fuin_store *store = NULL;
    struct stat st;
    char err[512];
    fuin_status s;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", show_options, NULL)) != -1) {
        switch (c) {
        case OPT_JSON:
            if (fuin_cli_set_flag(CMD, &json, "--json") != 0)
                return FUIN_EXIT_USAGE;
            break;
        case OPT_STORE:
            if ((rc = fuin_cli_set_once(CMD, &store_dir, optarg, "--store")) != 0)
                return rc;
            break;
        case 'h':
            help = 1;
            break;
        default:
            return fuin_cli_bad_option(CMD, c, argv);
        }
    }
    if (help)
        return fuin_cli_print_help(CMD);
    if (argc - optind > 1)
        return fuin_cli_usage(CMD, "show: too many arguments (one DIR or CARD)");
    arg = optind < argc ? argv[optind] : NULL;

    memset(&ci, 0, sizeof ci);
    if (arg == NULL) {
        if ((rc = fuin_cli_default_dir(CMD, NULL, &dir)) != 0)
            return rc;
    } else if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        dir = strdup(arg);
    } else {
        card_path = strdup(arg);
        if (card_path == NULL)
            goto oom;
    }
    if (arg == NULL || dir != NULL) {
        if (dir == NULL || (card_path = fuin_cli_path(dir, "card.pub")) == NULL ||
            (cert_path = fuin_cli_path(dir, "card.cert")) == NULL)
            goto oom;
    }
    if ((rc = fuin_cli_open_store(CMD, store_dir, &store)) != 0)
        goto done;
    if ((rc = fuin_cli_read_file(CMD, card_path, FUIN_CLI_PUBFILE_MAX, &text,
                                 &len, NULL)) != 0)
        goto done;
    /* A certificate holds the card, so `key show NAME.cert` works too. */
    is_cert = strncmp(text, "fuin-certificate:", 17) == 0;
    err[0] = '\0';
    if (is_cert) {
        fuin_cert cert;
        s = fuin_cert_parse(text, len, &cert, err, sizeof err);
        if (s == FUIN_OK)
            card = cert.card;
    } else {
        s = fuin_card_parse(text, len, &card, err, sizeof err);
    }
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, card_path, "%s", fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }
    if (is_cert) {
        rc = load_cert(card_path, NULL, store, &ci);
    } else {
        if (cert_path == NULL) {
            /* NAME.pub is certified as NAME.cert (fuin ciso certify). */
            size_t n = strlen(card_path);
            if (n > 4 && strcmp(card_path + n - 4, ".pub") == 0) {
                cert_path = malloc(n + 2);
                if (cert_path == NULL)
                    goto oom;
                memcpy(cert_path, card_path, n - 4);
                memcpy(cert_path + n - 4, ".cert", 6);
            }
        }
        if (cert_path != NULL)
            rc = load_cert(cert_path, &card, store, &ci);
    }
    if (rc != 0)
        goto done;
    if (json)
        rc = show_json(&card, &ci);
    else
        show_text(&card, &ci);
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
    goto done;
oom:
    fuin_cli_error(CMD, NULL, "out of memory");
    rc = FUIN_EXIT_INTERNAL;
done:
    free(text);
    free(dir);
    free(card_path);
    free(cert_path);
    fuin_store_free(store);
    return rc;
}

/* ---- key passwd --------------------------------------------------------- */

static int key_passwd(int argc, char **argv)
{
    const char *dir_arg = NULL, *passfile = NULL, *newfile = NULL;
    const char *store_dir = NULL;
    char *dir = NULL, *id_path = NULL, *sk_path = NULL;
    char *oldpass = NULL, *newpass = NULL, *sk_text = NULL, *seckey_text = NULL;
    size_t oldlen = 0, newlen = 0, sk_len = 0, seckey_len = 0;
    secretbuf idplain = {NULL, 0};
    membuf enc = {0};
    fuin_seckey *sk = NULL;
    fuin_store *store = NULL;
    fuin_policy *pol = NULL;
    fuin_cli_staged st_id = {0}, st_sk = {0};
    fuin_cli_audit au = {0};
    char err[512];
    int c, rc = 0, help = 0, encrypted;
    fuin_status s;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", passwd_options, NULL)) != -1) {
        switch (c) {
        case OPT_DIR:
            rc = fuin_cli_set_once(CMD, &dir_arg, optarg, "--dir");
            break;
        case OPT_PASSFILE:
            rc = fuin_cli_set_once(CMD, &passfile, optarg, "--passphrase-file");
            break;
        case OPT_NEWPASSFILE:
            rc = fuin_cli_set_once(CMD, &newfile, optarg, "--new-passphrase-file");
            break;
        case OPT_STORE:
            rc = fuin_cli_set_once(CMD, &store_dir, optarg, "--store");
            break;
        case 'h':
            help = 1;
            break;
        default:
            return fuin_cli_bad_option(CMD, c, argv);
        }
        if (rc != 0)
            return rc;
    }
    if (help)
        return fuin_cli_print_help(CMD);
    if (optind < argc)
        return fuin_cli_usage(CMD, "passwd: unexpected argument \"%s\"",
                              argv[optind]);

    if (dir_arg != NULL)
        dir = strdup(dir_arg);
    else if ((rc = fuin_cli_default_dir(CMD, NULL, &dir)) != 0)
        return rc;
    if (dir == NULL || (id_path = fuin_cli_path(dir, "identity.age")) == NULL ||
        (sk_path = fuin_cli_path(dir, "sign.key")) == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = fuin_cli_open_store(CMD, store_dir, &store)) != 0 ||
        (rc = fuin_cli_load_policy(CMD, store, &pol)) != 0 ||
        (rc = fuin_cli_passphrase_ready(CMD, pol)) != 0 ||
        (rc = fuin_cli_audit_begin(CMD, pol, NULL, dir, NULL, &au)) != 0)
        goto done;
    if ((rc = fuin_cli_read_keyfile(CMD, sk_path, sk_path, &sk_text, &sk_len)) != 0)
        goto done;
    if (!fuin_cli_exists(id_path)) {
        fuin_cli_error(CMD, id_path, "cannot open: %s", strerror(ENOENT));
        rc = FUIN_EXIT_IO;
        goto done;
    }

    {
        fuin_cli_pass p = {.cmd = CMD, .file = passfile,
                           .prompt = "Current passphrase: "};
        if (fuin_cli_get_passphrase(&p, 0, &oldpass, &oldlen) != 0) {
            fuin_cli_error(CMD, NULL, "%s", p.errmsg);
            rc = p.exit_code;
            goto done;
        }
    }
    idplain.buf = sodium_malloc(IDENTITY_PLAIN_CAP);
    if (idplain.buf == NULL) {
        fuin_cli_error(CMD, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = decrypt_identity(id_path, oldpass, oldlen, &idplain)) != 0)
        goto done;
    encrypted = fuin_seckey_file_encrypted(sk_text, sk_len);
    err[0] = '\0';
    s = fuin_seckey_parse(sk_text, sk_len, encrypted == 1 ? oldpass : NULL,
                          encrypted == 1 ? oldlen : 0, &sk, err, sizeof err);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, sk_path, "%s", fuin_cli_msg(err, s));
        rc = fuin_cli_exit_code(s, 0);
        goto done;
    }

    {
        fuin_cli_pass p = {.cmd = CMD, .file = newfile,
                           .prompt = "New passphrase: ",
                           .confirm_prompt = "Confirm new passphrase: "};
        if ((rc = fuin_cli_new_passphrase(&p, pol, &newpass, &newlen)) != 0)
            goto done;
    }
    if ((rc = encrypt_identity(idplain.buf, idplain.len, newpass, newlen, &enc)) != 0)
        goto done;
    s = fuin_seckey_format(sk, newpass, newlen, 0, 0, &seckey_text, &seckey_len);
    if (s != FUIN_OK) {
        fuin_cli_error(CMD, NULL, "cannot protect the signing key: %s",
                       fuin_strerror(s));
        rc = fuin_cli_exit_code(s, s == FUIN_E_INVALID);
        goto done;
    }
    /* Both new files are complete on disk before either replaces its old
     * version, so a failure leaves the old pair intact. */
    if ((rc = fuin_cli_stage(CMD, id_path, enc.buf, enc.len, 0600, 1, &st_id)) != 0 ||
        (rc = fuin_cli_stage(CMD, sk_path, seckey_text, seckey_len, 0600, 1, &st_sk)) != 0)
        goto done;
    if ((rc = fuin_cli_commit(CMD, &st_id)) != 0 ||
        (rc = fuin_cli_commit(CMD, &st_sk)) != 0)
        goto done;
    fprintf(stderr, "fuin: %s: passphrase changed for %s and %s\n", CMD, id_path,
            sk_path);
    {
        fuin_cli_audit_rec rec = {.op = "key-passwd", .path = dir, .method = "age-scrypt minisign",
                                  .detail = "passphrase changed for identity.age and sign.key",
                                  .ok = 1};
        if (fuin_cli_audit_end(&au, &rec, sk) != 0)
            rc = FUIN_EXIT_IO;
    }
done:
    fuin_cli_audit_drop(&au);
    fuin_cli_discard(&st_id);
    fuin_cli_discard(&st_sk);
    free(dir);
    free(id_path);
    free(sk_path);
    free(enc.buf);
    fuin_secret_free(seckey_text);
    if (sk_text != NULL)
        fuin_cli_free_secret(sk_text, sk_len + 1);
    if (idplain.buf != NULL)
        fuin_cli_free_secret(idplain.buf, IDENTITY_PLAIN_CAP);
    if (oldpass != NULL)
        fuin_cli_free_secret(oldpass, FUIN_CLI_PASS_MAX + 1);
    if (newpass != NULL)
        fuin_cli_free_secret(newpass, FUIN_CLI_PASS_MAX + 1);
    fuin_seckey_free(sk);
    fuin_policy_free(pol);
    fuin_store_free(store);
    return rc;
}

int fuin_cmd_key(int argc, char **argv)
{
    if (argc < 2)
        return fuin_cli_usage(CMD, "missing subcommand: new, show or passwd");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return fuin_cli_print_help(CMD);
    if (strcmp(argv[1], "new") == 0)
        return key_new(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return key_show(argc - 1, argv + 1);
    if (strcmp(argv[1], "passwd") == 0)
        return key_passwd(argc - 1, argv + 1);
    return fuin_cli_usage(CMD, "unknown subcommand \"%s\" (new, show or passwd)",
                          argv[1]);
}
