/* Internal interfaces of libfuin.  Not installed; hidden visibility. */
#ifndef FUIN_INTERNAL_H
#define FUIN_INTERNAL_H

#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "fuin.h"

#define FUIN_ERRMSG_MAX 256

/* ---- errmsg helper ---------------------------------------------------- */
void fuin__seterr(char *dst, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Format a message into buf[cap] (nothing when buf is NULL or cap 0); a
 * message cut at cap never ends inside a UTF-8 character. */
void fuin__set_msg(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- base64 (age: standard alphabet, no padding, canonical) ----------- */
/* Decode unpadded canonical base64; returns 0 and sets *outlen, -1 if the
 * input is not canonical unpadded base64 or does not fit. */
int fuin__b64_decode(uint8_t *out, size_t cap, size_t *outlen,
                     const char *in, size_t inlen);
/* Encode without padding; `out` needs fuin__b64_len(len)+1 bytes. */
size_t fuin__b64_len(size_t len);
void fuin__b64_encode(char *out, const uint8_t *in, size_t len);

/* ---- Bech32 (BIP 173, no length limit as in age) ----------------------- */
/* Encode data (8-bit bytes) with HRP; `upper` selects uppercase output.
 * Returns 0 or -1 if it does not fit. */
int fuin__bech32_encode(char *out, size_t cap, const char *hrp,
                        const uint8_t *data, size_t len, int upper);
/* Decode; hrp_out receives the lowercase HRP.  -1 on any error; -2 on a
 * checksum failure (so callers can say "bad checksum"). */
int fuin__bech32_decode(char *hrp_out, size_t hrp_cap, uint8_t *data,
                        size_t cap, size_t *len, const char *in);

/* ---- HKDF-SHA-256 on libsodium's HMAC-SHA-256 ------------------------- */
void fuin__hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *salt,
                       size_t saltlen, const uint8_t *ikm, size_t ikmlen,
                       const char *info);

/* ---- age header ------------------------------------------------------- */
#define FUIN__MAX_ARGS 8
typedef struct {
    char *type;              /* points into header buffer copy */
    char *args[FUIN__MAX_ARGS];
    int nargs;
    uint8_t *body;           /* decoded body */
    size_t body_len;
} fuin__stanza;

typedef struct {
    fuin__stanza *stanzas;
    size_t n;
    uint8_t mac[32];
    size_t mac_input_len;    /* bytes of header covered by the MAC */
    size_t header_len;       /* bytes including the MAC line and its \n */
    char *storage;           /* owns strings and bodies */
} fuin__header;

/* Try to parse a header from the start of buf.  Returns:
 *  FUIN_OK        parsed, h filled, h->header_len bytes consumed
 *  FUIN_E_STATE   need more data (no error yet)
 *  FUIN_E_HEADER  malformed (err set)
 *  FUIN_E_LIMIT   larger than FUIN_MAX_HEADER_BYTES */
fuin_status fuin__header_parse(const uint8_t *buf, size_t len, int at_eof,
                               fuin__header *h, char *err);
void fuin__header_free(fuin__header *h);

/* ---- armor (streaming decoder / encoder) ------------------------------ */
typedef struct fuin__armor_dec fuin__armor_dec;
fuin__armor_dec *fuin__armor_dec_new(void);
void fuin__armor_dec_free(fuin__armor_dec *a);
/* Feed armored text; decoded bytes are appended to out (cap must be at least
 * len); returns FUIN_OK or FUIN_E_ARMOR (err set). */
fuin_status fuin__armor_dec_update(fuin__armor_dec *a, const uint8_t *in,
                                   size_t len, uint8_t *out, size_t *outlen,
                                   char *err);
fuin_status fuin__armor_dec_final(fuin__armor_dec *a, uint8_t *out,
                                  size_t *outlen, char *err);

#define FUIN__ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define FUIN__ARMOR_END "-----END AGE ENCRYPTED FILE-----"

/* ---- labels in headers ------------------------------------------------ */
#define FUIN__LABEL_STANZA "fuin-label"
/* "-> fuin-approval <64 hex>": the id of the provide approval the file was
 * sent under (docs/approvals.md); no body, ignored by stock age. */
#define FUIN__APPROVAL_STANZA "fuin-approval"
/* Stanza args for a label: args[0] = "C3-I2-A2", then restriction tokens. */
int fuin__label_to_args(const fuin_label *l, const char **args, int cap,
                        char *classbuf, size_t classcap);
fuin_status fuin__label_from_args(char *const *args, int nargs,
                                  fuin_label *l);

/* ---- minisign (minisign.c) ---------------------------------------------- */
/* The length of the text fuin_sign_final() makes with these comments
 * (untrusted NULL: the default one); it does not depend on the message. */
size_t fuin__minisig_text_len(const char *untrusted, const char *trusted);
/* A loaded prehashed verifier takes over a BLAKE2b-512 state (a
 * crypto_generichash_state) of a message hashed before its signature was
 * at hand, as a package's manifest is.  FUIN_E_SIGFORMAT for a legacy
 * signature, FUIN_E_STATE if not loaded. */
fuin_status fuin__verifier_set_hash_state(fuin_verifier *v, const void *state);

/* ---- misc ------------------------------------------------------------- */
int fuin__ncpus(void);

/* ---- trust (card.c) ------------------------------------------------------ */
/* Parse revoked.txt without checking its signature: only for the fuzz target
 * and tests; everything else uses fuin_revocations_parse_verified(). */
fuin_status fuin__revocations_parse(const char *text, size_t len,
                                    fuin_revocations **out, char *err,
                                    size_t errcap);


/* ---- keys and stanzas (keys.c) ------------------------------------------ */
#define FUIN__FILE_KEY 16
/* Parse "AGE-SECRET-KEY-1..." into a 32-byte X25519 scalar.  -2 on a bad
 * checksum, -1 otherwise. */
int fuin__identity_parse(const char *s, uint8_t sk[32]);
int fuin__recipient_parse(const char *s, uint8_t pk[32]);
/* Write an X25519 stanza for file_key to pk.  Strings go into storage of
 * the caller-provided text buffer (`line`, cap >= 256). */
fuin_status fuin__x25519_wrap(const uint8_t pk[32], const uint8_t *file_key,
                              char *text, size_t cap, size_t *textlen);
/* Returns FUIN_OK (file key set), FUIN_E_NO_MATCH, or FUIN_E_HEADER. */
fuin_status fuin__x25519_unwrap(const fuin__stanza *s, const uint8_t sk[32],
                                uint8_t *file_key, char *err);
fuin_status fuin__scrypt_wrap(const char *pass, size_t passlen, int log_n,
                              const uint8_t *file_key, char *text, size_t cap,
                              size_t *textlen);
/* Validate an scrypt stanza's form (FUIN_E_HEADER / FUIN_E_LIMIT) without
 * a passphrase. */
fuin_status fuin__scrypt_check(const fuin__stanza *s, char *err);
fuin_status fuin__scrypt_unwrap(const fuin__stanza *s, const char *pass,
                                size_t passlen, uint8_t *file_key, char *err);
/* Append a stanza "-> args...\n" + wrapped body to text. */
size_t fuin__stanza_write(char *text, size_t cap, const char *const *args,
                          int nargs, const uint8_t *body, size_t bodylen);

/* ---- worker pool (pool.c) ----------------------------------------------- */
typedef struct fuin__pool fuin__pool;
typedef void (*fuin__task_fn)(void *ctx, size_t idx);
typedef struct fuin__job {
    fuin__task_fn fn;
    void *ctx;
    size_t n, next, done;
    struct fuin__job *qnext;
} fuin__job;
/* nthreads <= 1 runs every task inline in submit(). */
fuin__pool *fuin__pool_new(int nthreads);
void fuin__pool_free(fuin__pool *p);
void fuin__pool_submit(fuin__pool *p, fuin__job *job, fuin__task_fn fn,
                       void *ctx, size_t n);
/* Wait for a job, running queued tasks on the calling thread meanwhile. */
void fuin__pool_wait(fuin__pool *p, fuin__job *job);

/* ---- STREAM batches (stream.c) -------------------------------------------- */
#define FUIN__TAG 16
#define FUIN__ENC_CHUNK (FUIN_CHUNK_SIZE + FUIN__TAG)
#define FUIN__BATCH 32  /* chunks per batch: 2 MiB of plaintext */
typedef struct {
    uint8_t *buf;          /* FUIN__BATCH slots of FUIN__ENC_CHUNK bytes  */
    uint8_t *out;          /* decrypt only: plaintext slots (out of place,
                              so a failed chunk can be retried)           */
    size_t len[FUIN__BATCH];/* bytes in each slot (input side)           */
    int ok[FUIN__BATCH];    /* per chunk: 1 ok with the expected flag, 2 ok
                              only with the other last-chunk flag, 0 bad  */
    size_t n;              /* chunks in the batch                         */
    uint64_t counter;      /* STREAM counter of the first chunk           */
    int last_final;        /* last chunk of the batch is the final chunk  */
    int decrypt;
    const uint8_t *key;    /* payload key (owned by the handle)           */
    /* OpenSSL's ChaCha20-Poly1305, one context per chunk slot (a slot is
     * worked on by one thread at a time), keyed once */
    struct evp_cipher_ctx_st *ctx[FUIN__BATCH];
    fuin__job job;
    int busy;
    int queued;            /* with the writer thread, not yet flushed    */
} fuin__batch;
int fuin__batch_init(fuin__batch *b, int decrypt, const uint8_t *key);
void fuin__batch_free(fuin__batch *b);
void fuin__batch_submit(fuin__pool *p, fuin__batch *b);

/* ---- the pipeline's writer (stream.c) -------------------------------------
 * Reading (the caller's thread), encrypting or decrypting (the pool) and
 * writing (this thread) overlap: a batch submitted to the pool is pushed
 * here and flushed, in order, by the writer thread, while the caller
 * fills the next.  flush() waits for the batch's job, checks it and
 * writes it; it runs on the writer thread only, touches nothing the
 * caller's thread uses meanwhile, and reports a failure through its
 * return and `msg`.  After the writer's own failure the remaining
 * batches are waited for and dropped.  FUIN__NBATCH batches: one filling, the others being
 * encrypted or written. */
#define FUIN__NBATCH 3 /* with the writer; 2 without (the third is
                          allocated only when the writer starts) */
typedef fuin_status (*fuin__flush_fn)(void *owner, fuin__batch *b, char *msg);
typedef struct {
    fuin__pool *pool;
    fuin__flush_fn flush;
    void *owner;
    fuin__batch *q[FUIN__NBATCH];
    uint64_t head, tail;   /* pushed / flushed (never wrap)              */
    int running, stop;
    fuin_status st;        /* the first failure, or FUIN_OK              */
    char msg[FUIN_ERRMSG_MAX];
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} fuin__writer;
/* 0 when the thread runs; -1 when none could be had (then the owner
 * flushes inline, as without a writer). */
int fuin__writer_start(fuin__writer *w, fuin__pool *p, fuin__flush_fn f, void *owner);
void fuin__writer_push(fuin__writer *w, fuin__batch *b);
/* Wait until b is flushed (b may be reused then); the writer's status. */
fuin_status fuin__writer_wait(fuin__writer *w, const fuin__batch *b);
/* Flush everything pushed, in order, and stop the thread: the writer's
 * status (its message in w->msg); FUIN_OK when it never ran. */
fuin_status fuin__writer_finish(fuin__writer *w);
/* Stop the thread, dropping what is still queued (waited for, never
 * written).  Idempotent; nothing to do when it never ran. */
void fuin__writer_stop(fuin__writer *w);

/* ---- fast base64 for armor (ciphertext only; see stream.c) -------------- */
typedef struct {
    uint8_t line[48];
    size_t fill;
} fuin__armor_enc;
/* Encode bytes as armor body lines into out (cap >= len*4/3 + len/48*2 + 70);
 * returns text bytes written. */
size_t fuin__armor_enc_update(fuin__armor_enc *a, const uint8_t *in, size_t len,
                              char *out);
size_t fuin__armor_enc_final(fuin__armor_enc *a, char *out);
/* Table-driven decode of one armor line (len % 4 == 0, <= 64 chars).
 * Returns bytes or -1 if invalid / non-canonical. */
long fuin__b64_fast_decode(uint8_t *out, const char *in, size_t len);

/* ---- file helpers (file.c) ------------------------------------------------ */
/* fsync the directory holding `path`, so that a new or renamed entry
 * survives a crash.  0, or -1 with errno. */
int fuin__fsync_parent(const char *path);
/* Write all of buf, through EINTR and short writes: 0, or the errno of
 * the failure (ENOSPC when the file system accepts no byte). */
int fuin__write_all(int fd, const void *buf, size_t len);

/* ---- the ledger (ledger/ledger.c) ------------------------------------------ */
/* fuin_ledger_append() that also hands back the line written (malloc(),
 * without its LF, *len_out bytes; may be NULL) and the hash it chained
 * to (prev_out, may be NULL). */
fuin_status fuin__ledger_append(const char *path, fuin_record *r, const fuin_seckey *operator_key,
                                char **line_out, size_t *len_out, char prev_out[65], char *err,
                                size_t errcap);
typedef fuin_status (*fuin__begin_fn)(void *h, fuin_write_fn out, void *ctx);
typedef fuin_status (*fuin__update_fn)(void *h, const uint8_t *in, size_t len);
typedef fuin_status (*fuin__final_fn)(void *h);
/* Zero-copy input: reserve() gives space inside the next STREAM slot (or
 * *p = NULL when the data must go through update() this time), commit()
 * says how many bytes were read into it. */
typedef void (*fuin__reserve_fn)(void *h, uint8_t **p, size_t *cap);
typedef void (*fuin__commit_fn)(void *h, size_t n);
typedef struct {
    fuin__begin_fn begin;
    fuin__update_fn update;
    fuin__final_fn final;
    fuin__reserve_fn reserve; /* optional */
    fuin__commit_fn commit;
    /* optional: called with the output file before it is linked into
     * place (decrypt stamps the label's xattrs there) */
    fuin_status (*stamp)(void *h, int fd);
    /* optional: on = 1 after begin(), the output being an fd of
     * fuin__run_fd's own, starts a writer thread (fuin__writer); on = 0
     * at the end stops it after it has checked and written what is still
     * queued (batches before the caller's position), and returns the
     * writer's failure (earlier in the stream than any the caller met; it
     * then becomes the handle's error), or FUIN_OK */
    fuin_status (*pipeline)(void *h, int on);
} fuin__stream_ops;
/* Bulk buffers for plaintext and keys: not in core dumps, locked when
 * the limit allows, wiped when freed (lib/core/secmem.c).  Free with the size
 * that was allocated. */
void *fuin__secure_alloc(size_t n);
void fuin__secure_free(void *p, size_t n);
/* fsync a directory; 0 or -1 (errno). */
int fuin__fsync_parent_dir(const char *dir);
fuin_status fuin__run_fd(void *h, const fuin__stream_ops *ops, int in_fd,
                         const char *out_path, int out_fd, unsigned flags,
                         mode_t mode, char *errmsg);
/* Shared by encrypt.c and decrypt.c: where the next bytes of a slot-sized
 * chunk stream go (see fuin__reserve_fn). */
void fuin__batch_reserve(fuin__batch *b, size_t chunk, uint8_t **p, size_t *cap);
void fuin__batch_commit(fuin__batch *b, size_t chunk, size_t n);
char *fuin__encryptor_errbuf(fuin_encryptor *e);
char *fuin__decryptor_errbuf(fuin_decryptor *d);

/* ---- armor in bulk (stream.c), spread over the pool ----------------------- */
/* Encode `lines` whole 48-byte groups: out receives lines * 65 characters
 * (64 base64 + '\n' each). */
void fuin__armor_enc_lines(fuin__pool *p, const uint8_t *in, size_t lines, char *out);
/* Decode `lines` 64-character LF-terminated lines (65-byte stride) into
 * lines * 48 bytes.  Returns -1 if any line is not 64 canonical base64
 * characters (no padding) followed by '\n'. */
int fuin__armor_dec_lines(fuin__pool *p, const char *in, size_t lines, uint8_t *out);
/* The armor decoder is between body lines and has seen no short line, so
 * whole 64-column lines may bypass it (they change none of its state). */
int fuin__armor_dec_can_bulk(const fuin__armor_dec *a);

/* ---- UTF-8 (utf8.c) --------------------------------------------------------- */
/* Length of the character at s (cp receives it unless NULL), 0 if invalid. */
size_t fuin__utf8_decode(const unsigned char *s, size_t n, unsigned long *cp);
int fuin__utf8_valid(const char *s, size_t n);
/* Drop a partial character that truncation left at the end of s. */
void fuin__utf8_trim_tail(char *s);

/* ---- wipe (wipe.c) ------------------------------------------------------------ */
/* Tests only: look up devices under `root` instead of "/sys" (NULL: back
 * to "/sys"), so that holders and transports can be staged in a directory.
 * Not thread-safe; set it before probing. */
void fuin__wipe_set_sysfs_root(const char *root);

/* ---- device sanitize commands (sanitize.c) ------------------------------ */
/* BEGIN sanitize block: parsers of the tools' output, each taking the raw
 * (not NUL-terminated) text, so the unit tests and fuzz/fuzz_sanitize.c
 * call them directly.  All return 0 when the text was understood, -1 when
 * not (and then *out holds nothing that may be trusted). */
typedef struct {
    int sanitize_feature;    /* "SANITIZE feature set" listed: 1 / 0      */
    int crypto_scramble;     /* "CRYPTO_SCRAMBLE_EXT command" listed       */
    int block_erase;         /* "BLOCK_ERASE_EXT command" listed           */
    int overwrite;           /* "OVERWRITE_EXT command" listed             */
    /* "Security:" section, each 1 (listed), 0 (listed with "not") or -1
     * (absent or "(?)"): */
    int security_supported, security_enabled, security_locked;
    int security_frozen, security_expired, enhanced_erase;
} fuin__ata_identify;
/* `hdparm -I` text.  -1 unless it has a "Commands/features:" or
 * "Security:" section (i.e. it describes an ATA device). */
int fuin__parse_hdparm_identify(const char *text, size_t len,
                                fuin__ata_identify *out);

typedef struct {
    uint32_t sanicap, fna, oacs;
} fuin__nvme_id_ctrl;
/* `nvme id-ctrl -o json`: a JSON object with non-negative integer (or
 * numeric string) members "sanicap", "fna" and "oacs". */
int fuin__parse_nvme_id_ctrl(const char *text, size_t len,
                             fuin__nvme_id_ctrl *out);

/* Sanitize status, NVMe SSTAT bits 2:0 values; ATA states map onto them. */
#define FUIN__SAN_NEVER 0        /* never sanitized / ATA SD0 without the
                                    "completed without error" flag       */
#define FUIN__SAN_DONE 1         /* most recent sanitize succeeded       */
#define FUIN__SAN_RUNNING 2      /* in progress (ATA SD2)                */
#define FUIN__SAN_FAILED 3       /* most recent sanitize failed (SD3)    */
#define FUIN__SAN_DONE_NODEALLOC 4 /* succeeded, no-deallocate variant   */
#define FUIN__SAN_FROZEN 8       /* ATA SD1: sanitize freeze lock        */
typedef struct {
    int status;              /* FUIN__SAN_*, or another NVMe value (5-7) */
    int percent;             /* 0..100, -1 unknown                       */
    long long cdw10;         /* NVMe: SCDW10 (action in bits 2:0), -1
                                when absent                             */
} fuin__sanitize_state;
/* `nvme sanitize-log -o json`: {"<dev>":{"sprog":N,"sstat":{...,"status":
 * "(N) text"},"cdw10_info":N,...}} as nvme-cli 2.x prints it; also a flat
 * object, and "sstat" as the raw number. */
int fuin__parse_nvme_sanitize_log(const char *text, size_t len,
                                  fuin__sanitize_state *out);
/* `hdparm --sanitize-status` standard output and error, concatenated. */
int fuin__parse_hdparm_sanitize_status(const char *text, size_t len,
                                       fuin__sanitize_state *out);
/* The NVMe controller character device ("/dev/nvme0") of namespace block
 * device `name` ("nvme0n1") through <sysfs_root>/block/NAME/device or, for
 * a multipath namespace, the lowest-numbered path.  0, or -1 if not found
 * (never guessed from the name: namespace and controller numbers are
 * independent). */
int fuin__sanitize_nvme_controller(const char *sysfs_root, const char *name,
                                   char *out, size_t cap);
/* END sanitize block */

#endif /* FUIN_INTERNAL_H */
