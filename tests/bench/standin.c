/* A stand-in for `codex exec --json -`, cheap enough that process start-up does not hide the
 * SDK's overhead (the harness links it statically when it can). It ignores its argv, reads
 * stdin to EOF, then, by environment:
 *
 *   BENCH_SLEEP_MS=N      sleep N ms before printing anything
 *   BENCH_EVENTS=N        print N small events: thread.started, N-2 item.completed
 *                         agent_message events with short text, turn.completed with usage
 *                         (the default, with N=3)
 *   BENCH_BYTES=N         instead print about N bytes: thread.started, agent_message events
 *                         whose text is 1 MiB each, turn.completed
 *   BENCH_NO_NEWLINE=N    instead print thread.started, then N bytes of 'x' with no newline,
 *                         then exit 0 (a line that never ends, as far as the reader can tell)
 *   BENCH_TEXT_LINES=N    instead print thread.started, N lines of plain text (not JSON),
 *                         then turn.completed
 *   BENCH_IGNORE_TERM=1   ignore SIGTERM, print thread.started and sleep forever
 *   BENCH_FORK=1          with BENCH_IGNORE_TERM: first fork a grandchild that does the same
 *                         (same process group, holds the pipes), so "the group is gone"
 *                         means more than "the leader is gone"
 *
 * Output goes through one 1 MiB buffer, written with write(2) when full and at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char out_buf[1 << 20];
static size_t out_len;

static void write_all(const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(1, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            exit(1); /* EPIPE and the like: the reader went away */
        }
        data += n;
        len -= (size_t)n;
    }
}

static void out_flush(void) {
    write_all(out_buf, out_len);
    out_len = 0;
}

static void out(const char *data, size_t len) {
    if (out_len + len > sizeof out_buf) out_flush();
    if (len >= sizeof out_buf) {
        write_all(data, len);
        return;
    }
    memcpy(out_buf + out_len, data, len);
    out_len += len;
}

static void out_str(const char *text) { out(text, strlen(text)); }

static long env_long(const char *name, long fallback) {
    const char *value = getenv(name);
    return value && *value ? atol(value) : fallback;
}

static const char THREAD_STARTED[] = "{\"type\":\"thread.started\",\"thread_id\":\"bench-thread\"}\n";
static const char TURN_COMPLETED[] =
    "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":10,\"cached_input_tokens\":0,"
    "\"output_tokens\":5}}\n";

int main(void) {
    static char in[1 << 16];
    for (;;) {
        ssize_t n = read(0, in, sizeof in);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        break;
    }

    long sleep_ms = env_long("BENCH_SLEEP_MS", 0);
    if (sleep_ms > 0) {
        struct timespec ts = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
    }

    if (env_long("BENCH_IGNORE_TERM", 0)) {
        signal(SIGTERM, SIG_IGN);
        if (env_long("BENCH_FORK", 0) && fork() == 0) {
            for (;;) pause(); /* the grandchild: inherits SIG_IGN and the pipes */
        }
        out_str(THREAD_STARTED);
        out_flush();
        for (;;) pause();
    }

    out_str(THREAD_STARTED);
    long bytes = env_long("BENCH_BYTES", 0);
    long no_newline = env_long("BENCH_NO_NEWLINE", 0);
    long text_lines = env_long("BENCH_TEXT_LINES", 0);
    if (no_newline > 0) {
        static char xs[1 << 16];
        memset(xs, 'x', sizeof xs);
        for (long written = 0; written < no_newline; written += (long)sizeof xs) out(xs, sizeof xs);
        out_flush();
        return 0;
    } else if (text_lines > 0) {
        char line[128];
        for (long i = 0; i < text_lines; i++) {
            int len = snprintf(line, sizeof line, "log: step %ld of the warm-up, not JSON at all\n", i);
            out(line, (size_t)len);
        }
    } else if (bytes > 0) {
        size_t text_len = 1 << 20;
        char *text = malloc(text_len);
        if (!text) return 1;
        memset(text, 'x', text_len);
        static const char head[] = "{\"type\":\"item.completed\",\"item\":{\"id\":\"item\","
                                   "\"type\":\"agent_message\",\"text\":\"";
        static const char tail[] = "\"}}\n";
        for (long written = 0; written < bytes; written += (long)text_len) {
            out(head, sizeof head - 1);
            out(text, text_len);
            out(tail, sizeof tail - 1);
        }
        free(text);
    } else {
        long events = env_long("BENCH_EVENTS", 3);
        char line[256];
        for (long i = 0; i < events - 2; i++) {
            int len = snprintf(line, sizeof line,
                               "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_%ld\","
                               "\"type\":\"agent_message\",\"text\":\"event %ld\"}}\n",
                               i, i);
            out(line, (size_t)len);
        }
    }
    out_str(TURN_COMPLETED);
    out_flush();
    return 0;
}
