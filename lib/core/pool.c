#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

/* A tiny fixed pool: STREAM chunks are independent, so a batch of chunks
 * is one job whose tasks are taken one at a time by whichever thread is
 * free (workers, and the waiting caller). */
struct fuin__pool {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    fuin__job *head, *tail;
    int nthreads, stop;
    pthread_t *threads;
};

/* Take one task; mu held.  A job leaves the queue as soon as its last task
 * is taken, so a finished job's struct can be submitted again at once. */
static fuin__job *take(fuin__pool *p, size_t *idx)
{
    fuin__job *j = p->head;
    if (j == NULL)
        return NULL;
    *idx = j->next++;
    if (j->next == j->n) {
        p->head = j->qnext;
        if (p->head == NULL)
            p->tail = NULL;
    }
    return j;
}

static void run(fuin__pool *p, fuin__job *j, size_t idx)
{
    j->fn(j->ctx, idx);
    pthread_mutex_lock(&p->mu);
    if (++j->done == j->n)
        pthread_cond_broadcast(&p->done);
}

static void *worker(void *arg)
{
    fuin__pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        size_t idx;
        fuin__job *j = take(p, &idx);
        if (j == NULL) {
            if (p->stop)
                break;
            pthread_cond_wait(&p->work, &p->mu);
            continue;
        }
        pthread_mutex_unlock(&p->mu);
        run(p, j, idx); /* returns with mu held */
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

fuin__pool *fuin__pool_new(int nthreads)
{
    fuin__pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    if (nthreads <= 1)
        return p;
    p->threads = calloc((size_t)nthreads, sizeof *p->threads);
    if (p->threads == NULL) {
        fuin__pool_free(p);
        return NULL;
    }
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            break;
        p->nthreads++;
    }
    return p;
}

void fuin__pool_free(fuin__pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p);
}

void fuin__pool_submit(fuin__pool *p, fuin__job *job, fuin__task_fn fn,
                       void *ctx, size_t n)
{
    job->fn = fn;
    job->ctx = ctx;
    job->n = n;
    job->next = 0;
    job->done = 0;
    job->qnext = NULL;
    if (p->nthreads == 0 || n == 0) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i);
        job->next = job->done = n;
        return;
    }
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->qnext = job;
    else
        p->head = job;
    p->tail = job;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
}

void fuin__pool_wait(fuin__pool *p, fuin__job *job)
{
    if (p->nthreads == 0)
        return;
    pthread_mutex_lock(&p->mu);
    while (job->done < job->n) {
        size_t idx;
        fuin__job *j = take(p, &idx);
        if (j != NULL) {
            pthread_mutex_unlock(&p->mu);
            run(p, j, idx);
            continue;
        }
        pthread_cond_wait(&p->done, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
}
