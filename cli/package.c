/* Received packages: `fuin verify PACKAGE` and `fuin unpack` share this.
 * The library decides; this file finds the keys and prints the result. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common.h"

/* One identity file: plain, or passphrase-protected (then `pass` is asked
 * only if a header needs it; it must live as long as the decryptor). */
int fuin_cli_add_identity_file(const char *cmd, fuin_decryptor *d, const char *path,
                             fuin_cli_pass *pass, char *prompt, size_t cap)
{
    const char *name = strcmp(path, "-") == 0 ? FUIN_CLI_STDIN_NAME : path;
    char *text;
    size_t len;
    fuin_status s;
    int rc = fuin_cli_read_keyfile(cmd, path, name, &text, &len);
    if (rc != 0)
        return rc;
    snprintf(prompt, cap, "Passphrase for the identity %.200s: ", name);
    pass->prompt = prompt;
    s = fuin_decryptor_add_identity_file(d, name, text, len,
                                         fuin_cli_passphrase_cb, pass);
    fuin_cli_free_secret(text, len + 1);
    if (s != FUIN_OK) {
        /* the library's message starts with the name */
        fuin_cli_error(cmd, NULL, "%s", fuin_cli_msg(fuin_decryptor_errmsg(d), s));
        return fuin_cli_exit_code(s, 0);
    }
    return 0;
}

int fuin_cli_is_package(const char *path)
{
    uint8_t b[512];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, b, sizeof b);
    close(fd);
    if (n < 0)
        return 0;
    if ((size_t)n >= 22 && memcmp(b, "age-encryption.org/v1\n", 22) == 0)
        return 1;
    if ((size_t)n >= 34 && memcmp(b, "-----BEGIN AGE ENCRYPTED FILE-----", 34) == 0)
        return 1;
    if (n == (ssize_t)sizeof b && memcmp(b + 257, "ustar", 5) == 0)
        return 1;
    if ((size_t)n >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0) /* zstd */
        return 1;
    if ((size_t)n >= 4 && memcmp(b, "PK\x03\x04", 4) == 0) /* zip */
        return 1;
    return 0;
}


static const char *word(fuin_status s)
{
    switch (s) {
    case FUIN_OK: return "ok";
    case FUIN_E_SIGNATURE: case FUIN_E_COMMENT: case FUIN_E_WRONG_KEY:
    case FUIN_E_SIGFORMAT: return "bad-signature";
    case FUIN_E_UNTRUSTED: case FUIN_E_FOREIGN_ROOT: return "untrusted";
    case FUIN_E_EXPIRED: return "expired";
    case FUIN_E_REVOKED: return "revoked";
    case FUIN_E_MISMATCH: case FUIN_E_PAYLOAD: return "mismatch";
    case FUIN_E_UNSAFE: return "unsafe";
    case FUIN_E_LIMIT: return "limit";
    case FUIN_E_POLICY: return "policy";
    case FUIN_E_NO_MATCH: case FUIN_E_HMAC: return "cannot-decrypt";
    case FUIN_E_HEADER: case FUIN_E_SYNTAX: return "malformed";
    case FUIN_E_EXISTS: return "exists";
    case FUIN_E_IO: return "io";
    default: return "error";
    }
}

static json_t *result_json(const char *file, fuin_status s, const char *reason,
                           const fuin_unpacker *u, const fuin_cli_trust *t)
{
    const fuin_unpack_result *r = fuin_unpacker_result(u);
    json_t *o = json_object(), *files = json_array();
    char l[256], when[FUIN_TIME_MAX];
    if (o == NULL || files == NULL) {
        json_decref(o);
        json_decref(files);
        return NULL;
    }
    json_object_set_new(o, "file", json_string(file));
    json_object_set_new(o, "status", json_string(word(s)));
    json_object_set_new(o, "ok", json_boolean(s == FUIN_OK));
    if (s != FUIN_OK)
        json_object_set_new(o, "reason", json_string(reason));
    json_object_set_new(o, "package", json_boolean(r->is_package));
    json_object_set_new(o, "encrypted", json_boolean(r->encrypted));
    if (r->has_manifest) {
        fuin_label_format(&r->info.class_label, l, sizeof l);
        json_object_set_new(o, "class", json_string(l));
        fuin_time_format_rfc3339(r->info.created, when, sizeof when);
        json_object_set_new(o, "created", json_string(when));
        json_object_set_new(o, "creator", json_string(r->info.creator));
        json_object_set_new(o, "tool", json_string(r->info.tool));
        json_object_set_new(o, "approval", r->info.approval[0] ? json_string(r->info.approval)
                                                               : json_null());
        json_t *rc = json_array();
        for (size_t i = 0; rc && i < r->info.n_recipients; i++)
            json_array_append_new(rc, json_string(r->info.recipients[i]));
        json_object_set_new(o, "recipients", rc ? rc : json_null());
    }
    json_object_set_new(o, "signed", json_boolean(r->signed_));
    if (r->signed_ && r->release.has_cert) {
        json_object_set_new(o, "signer", json_string(r->release.cert.card.name));
        json_object_set_new(o, "signer_role",
                            json_string(fuin_role_name(r->release.cert.role)));
        json_object_set_new(o, "organisation", json_string(r->release.cert.organisation));
        fuin_time_format_rfc3339(r->release.meta.time, when, sizeof when);
        json_object_set_new(o, "signed_at", json_string(when));
    }
    json_object_set_new(o, "revocation_checked", json_boolean(t->rl != NULL));
    for (size_t i = 0; i < fuin_unpacker_count(u); i++) {
        const fuin_pack_entry *e = fuin_unpacker_entry(u, i);
        json_t *f = json_object();
        char mode[8];
        if (f == NULL)
            continue;
        snprintf(mode, sizeof mode, "%04o", e->mode);
        json_object_set_new(f, "path", json_string(e->path));
        json_object_set_new(f, "type", json_string(e->type == FUIN_ENTRY_DIR ? "dir" : "file"));
        if (e->type == FUIN_ENTRY_FILE)
            json_object_set_new(f, "size", json_integer((json_int_t)e->size));
        json_object_set_new(f, "mode", json_string(mode));
        if (e->has_label) {
            fuin_label_format(&e->label, l, sizeof l);
            json_object_set_new(f, "label", json_string(l));
        }
        json_array_append_new(files, f);
    }
    json_object_set_new(o, "files", files);
    return o;
}

static void print_result(const char *file, const fuin_unpacker *u,
                         const fuin_cli_trust *t, const fuin_cli_package_opts *o)
{
    const fuin_unpack_result *r = fuin_unpacker_result(u);
    char l[256], size[64], when[FUIN_TIME_MAX];
    FILE *out = o->dest ? stderr : stdout;
    fuin_cli_human_size(r->bytes, size, sizeof size);
    if (!r->is_package) {
        fprintf(out, "%s: OK: not a fuin package: %llu file%s, %s %s; NOTHING was "
                     "verified (no manifest, no signature), only made safe\n",
                fuin_cli_safe(file), (unsigned long long)r->entries, r->entries == 1 ? "" : "s",
                size, o->dest ? "unpacked" : "read");
        if (r->renamed)
            fprintf(out, "  renamed: %llu unsafe name%s\n", (unsigned long long)r->renamed,
                    r->renamed == 1 ? "" : "s");
    } else {
        fuin_label_format(&r->info.class_label, l, sizeof l);
        fprintf(out, "%s: OK: package of class %s, %llu file%s, %s%s\n", fuin_cli_safe(file),
                l, (unsigned long long)r->entries, r->entries == 1 ? "" : "s", size,
                o->dest ? ", unpacked" : "");
        if (r->signed_ && r->release.has_cert) {
            fuin_time_format_rfc3339(r->release.meta.time, when, sizeof when);
            fprintf(out, "  signer: %s (%s), certified by %s, signed %s\n",
                    fuin_cli_safe(r->release.cert.card.name),
                    fuin_role_name(r->release.cert.role),
                    fuin_cli_safe(r->release.cert.organisation), when);
        } else
            fprintf(out, "  signer: none (the package is not signed)\n");
        if (t->rl != NULL) {
            fuin_time_format_rfc3339(fuin_revocations_updated(t->rl), when, sizeof when);
            fprintf(out, "  revocation: checked against %s (updated %s)\n",
                    fuin_cli_safe(t->rl_source), when);
        } else
            fprintf(out, "  revocation: NOT checked: %s\n", fuin_cli_safe(t->rl_source));
        fprintf(out, "  sealed: %s\n",
                r->encrypted ? (r->has_age_label ? "encrypted (age), label in the header"
                                                 : "encrypted (age)")
                : r->zip_aes ? "AES-256 zip (password)"
                             : "not encrypted");
        fuin_time_format_rfc3339(r->info.created, when, sizeof when);
        fprintf(out, "  created: %s by %s with %s\n", when,
                r->info.creator[0] ? fuin_cli_safe(r->info.creator) : "(not named)",
                fuin_cli_safe(r->info.tool));
        fprintf(out, "  approval: %s\n",
                r->info.approval[0] ? fuin_cli_safe(r->info.approval) : "none");
    }
    if (o->list || !o->dest)
        for (size_t i = 0; i < fuin_unpacker_count(u); i++) {
            const fuin_pack_entry *e = fuin_unpacker_entry(u, i);
            if (e->has_label)
                fuin_label_format(&e->label, l, sizeof l);
            fprintf(out, "  %s %12llu %04o %s%s%s%s\n", e->type == FUIN_ENTRY_DIR ? "dir " : "file",
                    (unsigned long long)e->size, e->mode, fuin_cli_safe(e->path),
                    e->type == FUIN_ENTRY_DIR ? "/" : "", e->has_label ? "  " : "",
                    e->has_label ? l : "");
        }
}

int fuin_cli_package(const char *cmd, const char *file, const fuin_cli_trust *t,
                     const fuin_cli_package_opts *o, void *json_array)
{
    fuin_unpacker *u = fuin_unpacker_new();
    fuin_decryptor *d = fuin_decryptor_new();
    size_t n_ids = o->n_identities ? o->n_identities : 1;
    fuin_cli_pass *pass = calloc(n_ids + 1, sizeof *pass);
    char (*prompts)[256] = calloc(n_ids, sizeof *prompts);
    char *own_dir = NULL, *own = NULL;
    const char *in_name = NULL;
    fuin_cli_pass zpass;
    int rc = 0, fd = -1;
    fuin_status s;

    memset(&zpass, 0, sizeof zpass);
    if (u == NULL || d == NULL || pass == NULL || prompts == NULL) {
        fuin_cli_error(cmd, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    for (size_t i = 0; i <= n_ids; i++) {
        pass[i].cmd = cmd;
        pass[i].file = o->passfile;
    }
    for (size_t i = 0; i < o->n_identities && rc == 0; i++)
        rc = fuin_cli_add_identity_file(cmd, d, o->identities[i], &pass[i], prompts[i],
                                        sizeof prompts[0]);
    if (rc == 0 && o->n_identities == 0) {
        if (o->dir != NULL)
            own_dir = strdup(o->dir);
        else
            rc = fuin_cli_default_dir(cmd, NULL, &own_dir);
        if (rc == 0 && (own_dir == NULL || (own = fuin_cli_path(own_dir, "identity.age")) == NULL)) {
            fuin_cli_error(cmd, NULL, "out of memory");
            rc = FUIN_EXIT_INTERNAL;
        }
        if (rc == 0 && fuin_cli_exists(own))
            rc = fuin_cli_add_identity_file(cmd, d, own, &pass[0], prompts[0],
                                            sizeof prompts[0]);
    }
    if (rc != 0)
        goto done;
    zpass.cmd = cmd;
    zpass.file = o->zip_passfile;
    zpass.prompt = "Passphrase of the zip: ";
    if ((s = fuin_decryptor_set_passphrase_cb(d, fuin_cli_passphrase_cb, &pass[n_ids])) !=
            FUIN_OK ||
        fuin_unpacker_set_zip_passphrase_cb(u, fuin_cli_passphrase_cb, &zpass) != FUIN_OK ||
        fuin_unpacker_set_decryptor(u, d) != FUIN_OK ||
        fuin_unpacker_set_trust(u, t->release ? &t->key : NULL, t->rl) != FUIN_OK ||
        fuin_unpacker_set_policy(u, t->pol) != FUIN_OK ||
        fuin_unpacker_set_limits(u, &o->limits) != FUIN_OK ||
        fuin_unpacker_set_dest(u, o->dest) != FUIN_OK ||
        fuin_unpacker_set_foreign(u, o->foreign) != FUIN_OK ||
        fuin_unpacker_set_rename_unsafe(u, o->rename_unsafe) != FUIN_OK ||
        fuin_unpacker_set_require_revocation(u, o->require_rl) != FUIN_OK) {
        fuin_cli_error(cmd, NULL, "out of memory");
        rc = FUIN_EXIT_INTERNAL;
        goto done;
    }
    fd = fuin_cli_open_input(cmd, file, &in_name, &rc);
    if (fd < 0)
        goto done;
    s = fuin_unpack_fd(u, fd);
    if (s != FUIN_OK) {
        const char *msg = fuin_unpacker_errmsg(u);
        const fuin_cli_pass *failed = NULL;
        for (size_t i = 0; i <= n_ids && failed == NULL; i++)
            if (pass[i].exit_code != 0)
                failed = &pass[i];
        if (failed == NULL && zpass.exit_code != 0)
            failed = &zpass;
        if (failed == &zpass && zpass.file == NULL) {
            fuin_cli_error(cmd, in_name,
                           "FAILED: the zip is AES-encrypted and its passphrase could not be "
                           "asked for (%s): give --zip-passphrase-file FILE%s",
                           zpass.errmsg, o->dest ? "; nothing was unpacked" : "");
            rc = zpass.exit_code;
        } else if (failed != NULL) {
            fuin_cli_error(cmd, in_name, "%s%s", failed->errmsg,
                           o->dest ? "; nothing was unpacked" : "");
            rc = failed->exit_code;
        } else {
            fuin_cli_error(cmd, in_name, "FAILED: %s%s%s", fuin_cli_msg(msg, s),
                           s == FUIN_E_NO_MATCH && o->n_identities == 0 && own != NULL &&
                                   !fuin_cli_exists(own)
                               ? " (no -i given and no identity.age in your key directory)"
                               : "",
                           o->dest ? "; nothing was unpacked" : "");
            rc = fuin_cli_package_exit_code(s);
        }
    } else if (!o->json)
        print_result(in_name, u, t, o);
    if (s == FUIN_OK && o->class_out != NULL && fuin_unpacker_result(u) != NULL)
        *o->class_out = fuin_unpacker_result(u)->info.class_label;
    if (o->json && json_array != NULL) {
        json_t *j = result_json(in_name ? in_name : file, s, fuin_unpacker_errmsg(u), u, t);
        if (j != NULL)
            json_array_append_new(json_array, j);
    }
done:
    if (fd > STDIN_FILENO)
        close(fd);
    fuin_unpacker_free(u);
    fuin_decryptor_free(d);
    free(pass);
    free(prompts);
    free(own);
    free(own_dir);
    return rc;
}
