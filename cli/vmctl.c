/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl: the command line of hvd. Parses the options every verb shares, finds the verb in the
 * table and runs it on one bus connection (verbs live in builtin-*.c). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "client.h"
#include "macros.h"
#include "vmctl.h"

const struct vmctl_verb vmctl_verbs[] = {
        { "list", vmctl_list, 0, 0, 0, true, "", "List the defined VMs and their state" },
        { "host", vmctl_host, 0, 0, 0, true, "", "Show hvd and the host it runs on" },
        { "define", vmctl_define, 1, 1, 0, true, "FILE", "Define (or redefine) a VM from a JSON file ('-': stdin)" },
        { "undefine", vmctl_undefine, 1, 1, 0, true, "NAME", "Remove a shut-off VM's definition" },
        { "start", vmctl_start, 1, 1, 0, true, "NAME", "Start a VM" },
        { "shutdown", vmctl_shutdown, 1, 1, VMCTL_OPT_TIMEOUT | VMCTL_OPT_ALL, true, "[--timeout SECONDS] NAME|--all",
          "Ask the guest to power off; wait up to SECONDS (default 60)" },
        { "stop", vmctl_stop, 1, 1, VMCTL_OPT_ALL, true, "NAME|--all", "Stop a VM at once (power cut)" },
        { "pause", vmctl_pause, 1, 1, 0, true, "NAME", "Pause a running VM's vCPUs" },
        { "resume", vmctl_resume, 1, 1, 0, true, "NAME", "Resume a paused VM" },
        { "reset", vmctl_reset, 1, 1, 0, true, "NAME", "Reset a running VM (hardware reset)" },
        { "status", vmctl_status, 1, 1, 0, true, "NAME", "Show a VM's state and configuration" },
        { "console", vmctl_console, 1, 1, VMCTL_OPT_TIMEOUT | VMCTL_OPT_LOG, true,
          "[--log] [--timeout SECONDS] NAME", "Attach to a VM's serial console (Ctrl-] detaches), or print its log" },
        { "help", vmctl_help, 0, 1, 0, false, "[VERB]", "Show this help, or a verb's" },
};
const unsigned vmctl_verbs_count = ARRAY_SIZE(vmctl_verbs);

const struct vmctl_verb *vmctl_verb_find(const char *name)
{
        for (unsigned i = 0; i < vmctl_verbs_count; i++)
                if (strcmp(vmctl_verbs[i].name, name) == 0)
                        return &vmctl_verbs[i];
        return NULL;
}

void vmctl_usage(const struct vmctl_verb *verb)
{
        if (verb) {
                printf("Usage: vmctl [OPTIONS] %s%s%s\n\n%s.\n", verb->name, *verb->args ? " " : "",
                       verb->args, verb->summary);
                if (verb->options)
                        putchar('\n');
                if (verb->options & VMCTL_OPT_TIMEOUT)
                        printf("  --timeout SECONDS  %s\n",
                               strcmp(verb->name, "shutdown") == 0
                                       ? "how long the guest may take to stop (default 60)"
                                       : "without a terminal: detach after SECONDS (default: never)");
                if (verb->options & VMCTL_OPT_LOG)
                        printf("  --log              print the console log and exit\n");
                if (verb->options & VMCTL_OPT_ALL)
                        printf("  --all              %s instead of NAME; a line per VM\n",
                               strcmp(verb->name, "shutdown") == 0 ? "every running VM, all at once,"
                                                                   : "every VM not shut off,");
                printf("\nSee 'vmctl --help' for the global options and exit codes.\n");
                return;
        }
        printf("Usage: vmctl [OPTIONS] VERB [ARGS]\n\n"
               "Control the VMs of hvd over D-Bus (org.hvd1).\n\n"
               "Verbs:\n");
        for (unsigned i = 0; i < vmctl_verbs_count; i++) {
                char synopsis[64];

                snprintf(synopsis, sizeof(synopsis), "%s%s%s", vmctl_verbs[i].name,
                         *vmctl_verbs[i].args ? " " : "", vmctl_verbs[i].args);
                if (strlen(synopsis) > 24)
                        printf("  %s\n  %-24s  %s\n", synopsis, "", vmctl_verbs[i].summary);
                else
                        printf("  %-24s  %s\n", synopsis, vmctl_verbs[i].summary);
        }
        printf("\nOptions:\n"
               "  --user            use the session bus (hvd --user) instead of the system bus\n"
               "  --system          use the system bus (the default)\n"
               "  --address ADDR    use the D-Bus bus at ADDR\n"
               "  --json            JSON output (list, status, host, define, --all)\n"
               "  --timeout SECONDS shutdown: how long to wait; console: when to detach\n"
               "  --log             console: print the console log instead of attaching\n"
               "  --all             shutdown, stop: every VM concerned instead of NAME\n"
               "  -h, --help        show this help (after a verb: that verb's help)\n"
               "  --version         show the version\n"
               "\nExit codes:\n"
               "  0  success\n"
               "  1  failure (org.hvd1.Error.Failed and anything else)\n"
               "  2  usage error\n"
               "  3  no such VM\n"
               "  4  the VM's state does not allow it\n"
               "  5  invalid definition\n"
               "  6  access denied\n"
               "  7  timed out\n"
               "  8  cannot reach hvd (no bus, or hvd is not running)\n"
               "  9  a VM with that name already exists\n"
               " 10  not supported\n"
               " 11  a limit was reached\n"
               "With --all: 0 if every VM concerned succeeded, else the failures' code if\n"
               "they share one, else 1.\n"
               "\nSee vmctl(1).\n");
}

int vmctl_help(struct vmctl *v, int argc, char **argv)
{
        const struct vmctl_verb *verb = NULL;

        if (argc > 0) {
                verb = vmctl_verb_find(argv[0]);
                if (!verb)
                        return vmctl_usage_error(v, "unknown verb '%s'", argv[0]);
        }
        vmctl_usage(verb);
        return VMCTL_EXIT_OK;
}

/* Seconds as a non-negative decimal with an optional fraction ("1.5"), in µs. */
static int parse_seconds(const char *s, uint64_t *ret_usec)
{
        char *end;
        double d;

        if (!*s || strchr(s, '-') || strchr(s, 'x') || strchr(s, 'X'))
                return -EINVAL;
        errno = 0;
        d = strtod(s, &end);
        if (errno || *end || !(d >= 0) || d > 365.0 * 24 * 3600)
                return -EINVAL;
        *ret_usec = (uint64_t)(d * 1e6);
        return 0;
}

enum { OPT_USER = 0x100, OPT_SYSTEM, OPT_ADDRESS, OPT_JSON, OPT_TIMEOUT, OPT_LOG, OPT_ALL, OPT_VERSION };

/* The names of the VMCTL_OPT_* options, for "does not apply" messages. */
static const char *const verb_option_names[] = { "timeout", "log", "all" };

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "user", no_argument, NULL, OPT_USER },
                { "system", no_argument, NULL, OPT_SYSTEM },
                { "address", required_argument, NULL, OPT_ADDRESS },
                { "json", no_argument, NULL, OPT_JSON },
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { "log", no_argument, NULL, OPT_LOG },
                { "all", no_argument, NULL, OPT_ALL },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {}
        };
        struct vmctl v = { .verb = NULL };
        const struct vmctl_verb *verb;
        unsigned used = 0;
        bool help = false;
        int c, n, ret;

        opterr = 0; /* we print our own messages */
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                switch (c) {
                case OPT_USER: v.user = true; break;
                case OPT_SYSTEM: v.user = false; break;
                case OPT_ADDRESS: v.address = optarg; break;
                case OPT_JSON: v.json = true; break;
                case OPT_TIMEOUT:
                        if (parse_seconds(optarg, &v.timeout_usec) < 0)
                                return vmctl_usage_error(&v, "invalid --timeout '%s' (seconds expected)", optarg);
                        v.timeout_set = true;
                        used |= VMCTL_OPT_TIMEOUT;
                        break;
                case OPT_LOG:
                        v.log = true;
                        used |= VMCTL_OPT_LOG;
                        break;
                case OPT_ALL:
                        v.all = true;
                        used |= VMCTL_OPT_ALL;
                        break;
                case 'h': help = true; break;
                case OPT_VERSION:
                        printf("vmctl %s\n", PACKAGE_VERSION);
                        return VMCTL_EXIT_OK;
                case ':':
                        return vmctl_usage_error(&v, "option '%s' needs an argument", argv[optind - 1]);
                default:
                        return vmctl_usage_error(&v, "unknown option '%s'", argv[optind - 1]);
                }
        }

        if (optind >= argc) {
                if (help) {
                        vmctl_usage(NULL);
                        return VMCTL_EXIT_OK;
                }
                return vmctl_usage_error(&v, "no verb given");
        }
        verb = vmctl_verb_find(argv[optind]);
        if (!verb)
                return vmctl_usage_error(&v, "unknown verb '%s'", argv[optind]);
        v.verb = verb->name;
        if (help) {
                vmctl_usage(verb);
                return VMCTL_EXIT_OK;
        }
        if (used & ~verb->options)
                return vmctl_usage_error(&v, "option --%s does not apply to %s",
                                         verb_option_names[__builtin_ctz(used & ~verb->options)], verb->name);
        n = argc - optind - 1;
        if (v.all) {
                /* --all takes the place of the name */
                if (n > 0)
                        return vmctl_usage_error(&v, "--all and a VM name ('%s') cannot be used together", argv[optind + 1]);
        } else if (n < verb->min_args || n > verb->max_args) {
                if (n > verb->max_args)
                        return vmctl_usage_error(&v, "unexpected argument '%s'", argv[optind + 1 + verb->max_args]);
                return vmctl_usage_error(&v, "missing argument (usage: vmctl %s %s)", verb->name, verb->args);
        }
        for (int i = 0; i < n; i++)
                if (argv[optind + 1 + i][0] == '\0')
                        return vmctl_usage_error(&v, "empty argument");

        if (verb->needs_bus) {
                ret = vmctl_bus_open(&v, n > 0 ? argv[optind + 1] : NULL);
                if (ret != VMCTL_EXIT_OK)
                        return ret;
        }
        ret = verb->run(&v, n, argv + optind + 1);
        sd_bus_close_unref(v.bus);
        return ret;
}
