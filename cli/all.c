/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VERB --all: ListVMs, then the verb's call on every VM concerned, sent together rather than
 * one after the other (a Shutdown may wait its whole timeout: in turn, N guests would take N
 * timeouts). Outcomes are printed as the replies arrive, so a long wait shows its progress;
 * --json prints them all, sorted by name, once the last reply is in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "all.h"
#include "client.h"
#include "macros.h"
#include "output.h"

/* hvd holds at most 64 waiting calls (Start, Reset, Shutdown) from all its clients together and
 * refuses more with LimitExceeded: leave room for the others. Past this, a call is sent when an
 * earlier one has been answered. */
#define ALL_INFLIGHT_MAX 32

enum all_result {
        ALL_PENDING,
        ALL_OK,
        ALL_FAILED,
        ALL_SKIPPED,
};

struct all_run;

struct all_vm {
        char *name;
        char *path;
        const struct vmctl_all_state *rule;
        enum all_result result;
        int code;      /* ALL_FAILED, ALL_SKIPPED: the exit code */
        char *message; /* ALL_FAILED, ALL_SKIPPED: why */
        sd_bus_slot *slot;
        struct all_run *run;
};

struct all_run {
        struct vmctl *v;
        const struct vmctl_all_verb *verb;
        struct all_vm *vms;
        size_t n;
        unsigned inflight; /* calls sent and not answered */
        size_t left;       /* calls not answered, sent or not */
};

static void all_run_done(struct all_run *run)
{
        for (size_t i = 0; i < run->n; i++) {
                sd_bus_slot_unref(run->vms[i].slot);
                free(run->vms[i].name);
                free(run->vms[i].path);
                free(run->vms[i].message);
        }
        free(run->vms);
}

static const struct vmctl_all_state *all_rule(const struct vmctl_all_state *states, const char *state)
{
        for (; states->state; states++)
                if (strcmp(states->state, state) == 0)
                        break;
        return states;
}

/* Records a failure (error may be unset, r is -errno) and reports it unless --json. */
static void all_vm_fail(struct all_vm *vm, enum all_result result, const sd_bus_error *error, int r)
{
        vm->result = result;
        vm->code = vmctl_exit_code(error && sd_bus_error_is_set(error) ? error->name : NULL, r);
        vm->message = strdup(vmctl_error_message(error, r)); /* NULL: --json says null */
        if (!vm->run->v->json)
                (void)vmctl_report(vm->run->v, vm->name, error, r);
}

static void all_vm_ok(struct all_vm *vm)
{
        vm->result = ALL_OK;
        if (vm->run->v->json)
                return;
        vmctl_fputs_escaped(vm->name, stdout);
        printf(": %s\n", vm->run->verb->done);
        fflush(stdout); /* progress, also through a pipe */
}

/* A VM the verb does not apply to in its state: said in the words hvd would use, plus why. */
static void all_vm_skip(struct all_vm *vm, const char *state)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *msg = NULL;

        if (asprintf(&msg, "VM '%s' is %s: %s", vm->name, state, vm->rule->why) < 0)
                msg = NULL;
        (void)sd_bus_error_set(&error, "org.hvd1.Error.InvalidState", msg);
        all_vm_fail(vm, ALL_SKIPPED, &error, -EBUSY);
}

static int all_on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct all_vm *vm = userdata;

        vm->run->inflight--;
        vm->run->left--;
        if (sd_bus_message_is_method_error(reply, NULL))
                all_vm_fail(vm, ALL_FAILED, sd_bus_message_get_error(reply), -sd_bus_message_get_errno(reply));
        else
                all_vm_ok(vm);
        return 0;
}

static void all_send(struct all_run *run, struct all_vm *vm)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const struct vmctl_all_verb *verb = run->verb;
        int r;

        r = sd_bus_message_new_method_call(run->v->bus, &m, HVD_BUS_NAME, vm->path, HVD_VM_IFACE, verb->method);
        if (r >= 0 && verb->send_timeout)
                r = sd_bus_message_append(m, "t", verb->timeout_usec);
        if (r >= 0)
                r = sd_bus_call_async(run->v->bus, &vm->slot, m, all_on_reply, vm, verb->call_usec);
        if (r < 0) {
                run->left--;
                all_vm_fail(vm, ALL_FAILED, NULL, r);
                return;
        }
        run->inflight++;
}

static int all_compare(const void *a, const void *b)
{
        const struct all_vm *x = a, *y = b;

        return strcmp(x->name, y->name);
}

/* ListVMs into run->vms, sorted by name, each with the rule for its state. */
static int all_list(struct all_run *run, sd_bus_error *error)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *uuid, *state, *path;
        size_t size = 0;
        int r;

        r = vmctl_call_method(run->v->bus, HVD_MANAGER_PATH, HVD_MANAGER_IFACE, "ListVMs", error, &reply, "");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(ssso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssso)", &name, &uuid, &state, &path)) > 0) {
                struct all_vm *vm;

                if (run->n == size) {
                        struct all_vm *p = reallocarray(run->vms, size ? size * 2 : 16, sizeof(*p));

                        if (!p)
                                return -ENOMEM;
                        run->vms = p;
                        size = size ? size * 2 : 16;
                }
                vm = &run->vms[run->n];
                *vm = (struct all_vm){
                        .name = strdup(name),
                        .path = strdup(path),
                        .rule = all_rule(run->verb->states, state),
                        .run = run,
                };
                run->n++; /* freed by all_run_done from here on */
                if (!vm->name || !vm->path)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        if (run->n > 0)
                qsort(run->vms, run->n, sizeof(*run->vms), all_compare);
        return 0;
}

static int all_print_json(const struct all_run *run)
{
        static const char *const results[] = {
                [ALL_OK] = "ok",
                [ALL_FAILED] = "failed",
                [ALL_SKIPPED] = "skipped",
        };
        _cleanup_json_ json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < run->n; i++) {
                const struct all_vm *vm = &run->vms[i];
                json_object *o;

                if (vm->rule->action == VMCTL_ALL_IGNORE)
                        continue;
                o = json_object_new_object();
                if (!o || json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
                json_object_object_add(o, "name", json_object_new_string(vm->name));
                json_object_object_add(o, "result", json_object_new_string(results[vm->result]));
                if (vm->result != ALL_OK)
                        json_object_object_add(o, "error", vm->message ? json_object_new_string(vm->message) : NULL);
        }
        return vmctl_json_print(a);
}

int vmctl_all_run(struct vmctl *v, const struct vmctl_all_verb *verb)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        struct all_run run = { .v = v, .verb = verb };
        size_t concerned = 0, next = 0;
        int r, code = VMCTL_EXIT_OK;

        r = all_list(&run, &error);
        if (r < 0) {
                all_run_done(&run);
                return vmctl_report(v, NULL, &error, r);
        }
        for (size_t i = 0; i < run.n; i++) {
                struct all_vm *vm = &run.vms[i];

                if (vm->rule->action == VMCTL_ALL_CALL)
                        run.left++;
                if (vm->rule->action != VMCTL_ALL_IGNORE)
                        concerned++;
        }
        /* What is refused is said first: the calls may take a while. */
        for (size_t i = 0; i < run.n; i++)
                if (run.vms[i].rule->action == VMCTL_ALL_SKIP)
                        all_vm_skip(&run.vms[i], run.vms[i].rule->state);

        while (run.left > 0) {
                for (; next < run.n && run.inflight < ALL_INFLIGHT_MAX; next++)
                        if (run.vms[next].rule->action == VMCTL_ALL_CALL)
                                all_send(&run, &run.vms[next]);
                if (run.left == 0)
                        break;
                r = sd_bus_process(v->bus, NULL);
                if (r < 0)
                        break;
                if (r > 0)
                        continue;
                r = sd_bus_wait(v->bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        break;
        }
        /* The connection failed: the calls it did not answer failed with it. */
        for (size_t i = 0; i < run.n; i++)
                if (run.vms[i].rule->action == VMCTL_ALL_CALL && run.vms[i].result == ALL_PENDING)
                        all_vm_fail(&run.vms[i], ALL_FAILED, NULL, r);

        for (size_t i = 0; i < run.n; i++)
                if (run.vms[i].result == ALL_FAILED || run.vms[i].result == ALL_SKIPPED)
                        code = code == VMCTL_EXIT_OK || code == run.vms[i].code ? run.vms[i].code : VMCTL_EXIT_FAILURE;

        if (v->json)
                r = all_print_json(&run);
        else {
                if (concerned == 0)
                        puts(verb->none);
                r = fflush(stdout) == EOF ? -EIO : 0;
        }
        all_run_done(&run);
        if (r < 0)
                return vmctl_report(v, NULL, NULL, r);
        return code;
}
