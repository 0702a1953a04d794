/* A stand-in for `codex exec --json`, fast enough that process start-up does not hide the
 * SDK's overhead. It ignores argv, reads stdin to EOF, then, by environment:
 *   BENCH_SLEEP_MS=N      sleep N ms first
 *   BENCH_EVENTS=N        print N small events (thread.started, items, turn.completed)
 *   BENCH_BYTES=N         instead print about N bytes as agent_message events of 1 MiB each
 *   BENCH_IGNORE_TERM=1   ignore SIGTERM, print one event and sleep forever
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long env_long(const char *name) {
    const char *value = getenv(name);
    return value ? atol(value) : 0;
}

int main(void) {
    static char in[65536];
    while (read(0, in, sizeof in) > 0) {}
    static char out[1 << 20];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    long sleep_ms = env_long("BENCH_SLEEP_MS");
    if (sleep_ms) {
        struct timespec ts = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    puts("{\"type\":\"thread.started\",\"thread_id\":\"bench-thread\"}");
    if (env_long("BENCH_IGNORE_TERM")) {
        signal(SIGTERM, SIG_IGN);
        fflush(stdout);
        for (;;) pause();
    }
    long bytes = env_long("BENCH_BYTES");
    if (bytes) {
        size_t chunk = 1 << 20;
        char *text = malloc(chunk + 1);
        memset(text, 'x', chunk);
        text[chunk] = 0;
        for (long written = 0; written < bytes; written += (long)chunk)
            printf("{\"type\":\"item.completed\",\"item\":{\"id\":\"i\",\"type\":\"agent_message\",\"text\":\"%s\"}}\n", text);
    } else {
        long events = env_long("BENCH_EVENTS");
        for (long i = 0; i < events - 2; i++)
            printf("{\"type\":\"item.completed\",\"item\":{\"id\":\"item_%ld\",\"type\":\"agent_message\",\"text\":\"event %ld\"}}\n", i, i);
    }
    puts("{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":10,\"output_tokens\":5}}");
    return 0;
}
