/* fuin inspect [--json] [INPUT] */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common.h"

static const char *const CMD = "inspect";

static const struct option inspect_options[] = {
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    int fd;
    int err; /* errno of a failed read */
} reader;

static long read_fd(void *ctx, uint8_t *buf, size_t cap)
{
    reader *r = ctx;
    for (;;) {
        ssize_t n = read(r->fd, buf, cap);
        if (n >= 0)
            return (long)n;
        if (errno != EINTR) {
            r->err = errno;
            return -1;
        }
    }
}

static json_t *label_json(const fuin_label *l)
{
    char text[256];
    json_t *o = json_object(), *restr = json_array();
    if (o == NULL || restr == NULL)
        goto fail;
    for (int i = 0; i < FUIN_RESTRICTION_COUNT; i++) {
        fuin_restriction bit = (fuin_restriction)(1u << i);
        const char *name;
        if (!(l->restrictions & (unsigned)bit))
            continue;
        name = fuin_restriction_name(bit);
        if (name == NULL || json_array_append_new(restr, json_string(name)) != 0)
            goto fail;
    }
    fuin_label_format(l, text, sizeof text);
    if (json_object_set_new(o, "confidentiality", json_integer(l->confidentiality)) ||
        json_object_set_new(o, "integrity", json_integer(l->integrity)) ||
        json_object_set_new(o, "availability", json_integer(l->availability)) ||
        json_object_set_new(o, "restrictions", restr) ||
        json_object_set_new(o, "text", json_string(text))) {
        json_decref(o);
        return NULL;
    }
    return o;
fail:
    json_decref(restr);
    json_decref(o);
    return NULL;
}

static int print_json(const fuin_info *info)
{
    json_t *o = json_object(), *stanzas = json_array(), *label;
    size_t listed = info->n_stanzas < FUIN_INSPECT_MAX_STANZAS
                        ? info->n_stanzas
                        : FUIN_INSPECT_MAX_STANZAS;
    char *text = NULL;
    int rc = FUIN_EXIT_INTERNAL;

    if (o == NULL || stanzas == NULL) {
        json_decref(stanzas);
        goto done;
    }
    for (size_t i = 0; i < listed; i++) {
        const char *t = info->stanza_types[i];
        if (json_array_append_new(stanzas,
                                  json_stringn(t, strnlen(t, sizeof info->stanza_types[i]))) != 0) {
            json_decref(stanzas);
            goto done;
        }
    }
    label = info->has_label ? label_json(&info->label) : json_null();
    if (label == NULL) {
        json_decref(stanzas);
        goto done;
    }
    if (json_object_set_new(o, "format", json_string("age-v1")) ||
        json_object_set_new(o, "armored", json_boolean(info->armored)) ||
        json_object_set_new(o, "stanzas", stanzas) ||
        json_object_set_new(o, "label", label) ||
        json_object_set_new(o, "label_authenticated", json_false()) ||
        json_object_set_new(o, "header_bytes", json_integer((json_int_t)info->header_bytes)) ||
        json_object_set_new(o, "plaintext_bytes",
                            info->plaintext_known
                                ? json_integer((json_int_t)info->plaintext_bytes)
                                : json_null()))
        goto done;
    /* Only when present, so that existing readers see the same keys. */
    if (info->approval[0] != '\0' &&
        json_object_set_new(o, "approval", json_string(info->approval)))
        goto done;
    /* Japanese label words stay UTF-8: no JSON_ENSURE_ASCII. */
    text = json_dumps(o, JSON_COMPACT);
    if (text == NULL)
        goto done;
    rc = printf("%s\n", text) < 0 ? FUIN_EXIT_IO : FUIN_EXIT_OK;
done:
    if (rc == FUIN_EXIT_INTERNAL)
        fuin_cli_error(CMD, NULL, "out of memory");
    free(text);
    json_decref(o);
    return rc;
}

static int print_human(const fuin_info *info)
{
    size_t listed = info->n_stanzas < FUIN_INSPECT_MAX_STANZAS
                        ? info->n_stanzas
                        : FUIN_INSPECT_MAX_STANZAS;
    printf("format:          age-v1\n");
    printf("armored:         %s\n", info->armored ? "yes" : "no");
    printf("stanzas:         %zu", info->n_stanzas);
    for (size_t i = 0; i < listed; i++)
        printf("%s%.*s", i == 0 ? " (" : ", ", (int)sizeof info->stanza_types[i],
               info->stanza_types[i]);
    if (info->n_stanzas > listed)
        printf(", and %zu more", info->n_stanzas - listed);
    printf("%s\n", listed > 0 ? ")" : "");
    if (info->has_label) {
        char text[256];
        fuin_label_format(&info->label, text, sizeof text);
        printf("label:           %s (not authenticated without a key)\n", text);
    } else {
        printf("label:           none\n");
    }
    if (info->approval[0] != '\0')
        printf("approval:        %s (provide request id; not authenticated without a key)\n",
               info->approval);
    printf("header bytes:    %" PRIu64 "\n", info->header_bytes);
    if (info->plaintext_known)
        printf("plaintext bytes: %" PRIu64 "\n", info->plaintext_bytes);
    else
        printf("plaintext bytes: unknown (the payload size is impossible)\n");
    return FUIN_EXIT_OK;
}

int fuin_cmd_inspect(int argc, char **argv)
{
    int json = 0, help = 0, c, rc;
    const char *in_name = NULL;
    reader r = {.fd = -1, .err = 0};
    fuin_info info;
    fuin_status s;
    char err[256] = "";

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", inspect_options, NULL)) != -1) {
        switch (c) {
        case 'j':
            if (fuin_cli_set_flag(CMD, &json, "--json") != 0)
                return FUIN_EXIT_USAGE;
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
        return fuin_cli_usage(CMD, "too many arguments (one INPUT at most)");

    r.fd = fuin_cli_open_input(CMD, optind < argc ? argv[optind] : NULL, &in_name,
                               &rc);
    if (r.fd < 0)
        return rc;
    memset(&info, 0, sizeof info);
    s = fuin_inspect(read_fd, &r, &info, err, sizeof err);
    if (r.fd > STDIN_FILENO)
        close(r.fd);
    if (s != FUIN_OK) {
        if (r.err != 0)
            fuin_cli_error(CMD, in_name, "cannot read: %s", strerror(r.err));
        else
            fuin_cli_error(CMD, in_name, "%s", fuin_cli_msg(err, s));
        return r.err != 0 ? FUIN_EXIT_IO : fuin_cli_exit_code(s, 0);
    }
    rc = json ? print_json(&info) : print_human(&info);
    if (fuin_cli_stdout_check(CMD) != 0 && rc == 0)
        rc = FUIN_EXIT_IO;
    return rc;
}
