/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd over D-Bus, measured from a client: ListVMs and property-read round trips (p50/p99),
 * Start -> State=running and Start -> first console byte, and hvd's resident memory per
 * running VM beyond guest RAM. Talks to org.hvd1 on the session bus (bench-dbus.sh starts a
 * private one). Prints a table, and JSON to the file named by --json. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define N_CALLS 5000
#define N_VMS 20

static sd_bus *bus;

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static double pct(uint64_t *v, size_t n, double p)
{
        qsort(v, n, sizeof(*v), cmp_u64);
        return v[(size_t)((double)(n - 1) * p)] / 1000.0; /* µs */
}

static int call(const char *path, const char *iface, const char *method, sd_bus_message **reply, const char *types, ...)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, "org.hvd1", path, iface, method);
        if (r < 0)
                return r;
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        goto out;
        }
        r = sd_bus_call(bus, m, 60 * 1000000ULL, &error, reply);
        if (r < 0 && error.message)
                fprintf(stderr, "%s.%s: %s\n", iface, method, error.message);
out:
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        return r;
}

struct rss {
        long rss, anon, file, shmem; /* kB */
};

static int read_rss(pid_t pid, struct rss *r)
{
        char path[64], line[256];
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        *r = (struct rss){ 0 };
        while (fgets(line, sizeof(line), f)) {
                sscanf(line, "VmRSS: %ld", &r->rss);
                sscanf(line, "RssAnon: %ld", &r->anon);
                sscanf(line, "RssFile: %ld", &r->file);
                sscanf(line, "RssShmem: %ld", &r->shmem);
        }
        fclose(f);
        return 0;
}

int main(int argc, char **argv)
{
        const char *guest_dir = argc > 1 ? argv[1] : NULL, *json_path = argc > 2 ? argv[2] : NULL;
        char kernel[4096];
        static uint64_t t[N_CALLS];
        uint64_t start_ns[N_VMS], byte_ns[N_VMS];
        double list_p50, list_p99, get_p50, get_p99, start_p50 = -1, start_max = -1, byte_p50 = -1, byte_max = -1;
        double per_vm_kib = -1, guest_kib = -1;
        struct rss before = { 0 }, after = { 0 };
        sd_bus_creds *creds = NULL;
        pid_t pid = 0;
        int started = 0, r;
        FILE *out;

        if (!guest_dir) {
                fprintf(stderr, "usage: bench-dbus GUEST-DIR [JSON-OUT]\n");
                return 2;
        }
        /* spin runs until stopped: the VMs whose memory is measured */
        snprintf(kernel, sizeof(kernel), "%s/spin.elf", guest_dir);
        r = sd_bus_open_user(&bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect to the session bus: %s\n", strerror(-r));
                return 1;
        }
        if (sd_bus_get_name_creds(bus, "org.hvd1", SD_BUS_CREDS_PID, &creds) >= 0)
                (void)sd_bus_creds_get_pid(creds, &pid);
        sd_bus_creds_unref(creds);

        for (int i = 0; i < N_VMS; i++) {
                char def[8192];
                snprintf(def, sizeof(def),
                         "{\"name\": \"bench%d\", \"vcpus\": 1, \"memory_mib\": 16, \"boot\": {\"kernel\": \"%s\"}}", i, kernel);
                r = call("/org/hvd1", "org.hvd1.Manager", "DefineVM", NULL, "s", def);
                if (r < 0)
                        return 1;
        }

        for (int i = 0; i < N_CALLS; i++) {
                sd_bus_message *reply = NULL;
                uint64_t t0 = now_ns();
                r = call("/org/hvd1", "org.hvd1.Manager", "ListVMs", &reply, NULL);
                t[i] = now_ns() - t0;
                sd_bus_message_unref(reply);
                if (r < 0)
                        return 1;
        }
        list_p50 = pct(t, N_CALLS, 0.5);
        list_p99 = pct(t, N_CALLS, 0.99);
        for (int i = 0; i < N_CALLS; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                char *state = NULL;
                uint64_t t0 = now_ns();
                r = sd_bus_get_property_string(bus, "org.hvd1", "/org/hvd1/vm/bench0", "org.hvd1.VM", "State", &error, &state);
                t[i] = now_ns() - t0;
                free(state);
                sd_bus_error_free(&error);
                if (r < 0)
                        return 1;
        }
        get_p50 = pct(t, N_CALLS, 0.5);
        get_p99 = pct(t, N_CALLS, 0.99);

        /* latency: one VM at a time (running guests compete for the CPUs: on kvm_pvm every
         * guest instruction is emulated), each stopped before the next starts */
        for (int i = 0; i < N_VMS; i++) {
                sd_bus_message *reply = NULL;
                int fd = -1;
                uint64_t t0;

                r = call("/org/hvd1/vm/bench0", "org.hvd1.VM", "OpenConsole", &reply, NULL);
                if (r >= 0 && sd_bus_message_read(reply, "h", &fd) >= 0)
                        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                sd_bus_message_unref(reply);
                t0 = now_ns();
                r = call("/org/hvd1/vm/bench0", "org.hvd1.VM", "Start", NULL, NULL); /* replies once State=running */
                start_ns[i] = now_ns() - t0;
                byte_ns[i] = 0;
                if (r >= 0 && fd >= 0) {
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        if (poll(&p, 1, 5000) == 1)
                                byte_ns[i] = now_ns() - t0;
                }
                if (fd >= 0)
                        close(fd);
                if (r < 0)
                        break;
                (void)call("/org/hvd1/vm/bench0", "org.hvd1.VM", "Stop", NULL, NULL);
                started++;
        }
        if (started == N_VMS) {
                start_p50 = pct(start_ns, N_VMS, 0.5);
                start_max = pct(start_ns, N_VMS, 1.0);
                byte_p50 = pct(byte_ns, N_VMS, 0.5);
                byte_max = pct(byte_ns, N_VMS, 1.0);
        }

        /* memory: N_VMS running at once */
        if (pid > 0)
                read_rss(pid, &before);
        started = 0;
        for (int i = 0; i < N_VMS; i++) {
                char path[64];
                snprintf(path, sizeof(path), "/org/hvd1/vm/bench%d", i);
                if (call(path, "org.hvd1.VM", "Start", NULL, NULL) < 0)
                        break;
                started++;
        }
        if (started == N_VMS) {
                usleep(200000); /* let the guests reach their steady state */
                if (pid > 0 && read_rss(pid, &after) >= 0) {
                        /* guest RAM is a shared memfd (RssShmem); everything else is hvd's own */
                        per_vm_kib = (double)((after.anon + after.file) - (before.anon + before.file)) / N_VMS;
                        guest_kib = (double)(after.shmem - before.shmem) / N_VMS;
                }
        }
        for (int i = 0; i < N_VMS; i++) {
                char path[64];
                snprintf(path, sizeof(path), "/org/hvd1/vm/bench%d", i);
                if (i < started)
                        (void)call(path, "org.hvd1.VM", "Stop", NULL, NULL);
                (void)call("/org/hvd1", "org.hvd1.Manager", "UndefineVM", NULL, "s", path + strlen("/org/hvd1/vm/"));
        }

        printf("%-44s %10s %10s %s\n", "measure", "p50", "p99/max", "target");
        printf("%-44s %8.1f µs %8.1f µs  p50 < 300 µs (virsh list: 19 ms)\n", "D-Bus ListVMs round trip (20 VMs)", list_p50, list_p99);
        printf("%-44s %8.1f µs %8.1f µs\n", "D-Bus property read (VM.State)", get_p50, get_p99);
        if (started == N_VMS) {
                printf("%-44s %8.1f µs %8.1f µs\n", "Start -> State=running (reply; spin, 16 MiB)", start_p50, start_max);
                printf("%-44s %8.1f µs %8.1f µs  < 10 ms\n", "Start -> first console byte", byte_p50, byte_max);
                printf("%-44s %8.0f KiB             < 2048 KiB (QEMU microvm: 38.7 MiB peak)\n",
                       "hvd RSS per running VM beyond guest RAM", per_vm_kib);
                printf("%-44s %8.0f KiB\n", "guest RAM resident per VM (memfd)", guest_kib);
        } else
                printf("Start failed after %d VM(s): no start or memory figures\n", started);

        if (json_path && (out = fopen(json_path, "we"))) {
                fprintf(out,
                        "{\"bench\": \"dbus\", \"vms\": %d, \"calls\": %d,\n"
                        " \"listvms_us\": {\"p50\": %.1f, \"p99\": %.1f},\n"
                        " \"get_property_us\": {\"p50\": %.1f, \"p99\": %.1f},\n"
                        " \"start_to_running_us\": {\"p50\": %.1f, \"max\": %.1f},\n"
                        " \"start_to_first_byte_us\": {\"p50\": %.1f, \"max\": %.1f},\n"
                        " \"rss_per_vm_beyond_guest_kib\": %.0f, \"guest_ram_resident_per_vm_kib\": %.0f,\n"
                        " \"started\": %d}\n",
                        N_VMS, N_CALLS, list_p50, list_p99, get_p50, get_p99, start_p50, start_max, byte_p50, byte_max,
                        per_vm_kib, guest_kib, started);
                fclose(out);
        }
        sd_bus_flush_close_unref(bus);
        return started == N_VMS ? 0 : 3;
}
