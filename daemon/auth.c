/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "bus-error.h"
#include "hvd.h"
#include "log.h"
#include "macros.h"

#define CACHE_SIZE 64
#define CALLER_GROUPS_MAX 256
#define PENDING_MAX 256 /* calls waiting for the bus to say who sent them */

struct cache_entry {
        char *sender;
        uid_t uid;
        bool allowed;
};

struct hvd_creds_cache {
        struct cache_entry e[CACHE_SIZE];
        unsigned next; /* round-robin replacement */
        unsigned n_pending;
};

struct pending {
        struct hvd *h;
        sd_bus_message *call;
        hvd_method_fn fn;
};

struct hvd_creds_cache *hvd_creds_cache_free(struct hvd_creds_cache *c)
{
        if (!c)
                return NULL;
        for (unsigned i = 0; i < CACHE_SIZE; i++)
                free(c->e[i].sender);
        free(c);
        return NULL;
}

static struct cache_entry *cache_find(struct hvd *h, const char *sender)
{
        if (!h->creds)
                return NULL;
        for (unsigned i = 0; i < CACHE_SIZE; i++)
                if (h->creds->e[i].sender && strcmp(h->creds->e[i].sender, sender) == 0)
                        return &h->creds->e[i];
        return NULL;
}

static void cache_add(struct hvd *h, const char *sender, uid_t uid, bool allowed)
{
        struct cache_entry *e;
        char *s;

        if (!h->creds && !(h->creds = calloc(1, sizeof(*h->creds))))
                return;
        s = strdup(sender);
        if (!s)
                return;
        e = &h->creds->e[h->creds->next++ % CACHE_SIZE];
        free(e->sender);
        *e = (struct cache_entry){ .sender = s, .uid = uid, .allowed = allowed };
}

/* Group membership from the user database, for buses that do not report group IDs. */
static bool user_in_group(uid_t uid, gid_t gid)
{
        struct passwd *pw = getpwuid(uid);
        gid_t groups[CALLER_GROUPS_MAX];
        int n = CALLER_GROUPS_MAX;

        if (!pw)
                return false;
        if (pw->pw_gid == gid)
                return true;
        if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
                return false;
        for (int i = 0; i < n; i++)
                if (groups[i] == gid)
                        return true;
        return false;
}

static int deny(struct hvd *h, sd_bus_message *m, uid_t uid, sd_bus_error *error)
{
        return hvd_bus_error_setf(error, -EACCES, "caller uid %u may not call %s: only root%s%s%s may",
                                  (unsigned)uid, sd_bus_message_get_member(m),
                                  h->user_mode ? " and hvd's own user" : "",
                                  h->group_gid != (gid_t)-1 ? " and members of group " : "",
                                  h->group_gid != (gid_t)-1 ? h->conf.group : "");
}

/* Parses GetConnectionCredentials' a{sv}. */
static int parse_creds(sd_bus_message *reply, uid_t *ret_uid, gid_t *groups, int *n_groups, bool *have_groups)
{
        bool have_uid = false;
        int r;

        *have_groups = false;
        *n_groups = 0;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;
                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        return r;
                if (strcmp(key, "UnixUserID") == 0) {
                        uint32_t u;
                        r = sd_bus_message_read(reply, "v", "u", &u);
                        if (r < 0)
                                return r;
                        *ret_uid = u;
                        have_uid = true;
                } else if (strcmp(key, "UnixGroupIDs") == 0) {
                        r = sd_bus_message_enter_container(reply, 'v', "au");
                        if (r < 0)
                                return r;
                        r = sd_bus_message_enter_container(reply, 'a', "u");
                        if (r < 0)
                                return r;
                        for (uint32_t g; (r = sd_bus_message_read(reply, "u", &g)) > 0;)
                                if (*n_groups < CALLER_GROUPS_MAX)
                                        groups[(*n_groups)++] = g;
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(reply);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                return r;
                        *have_groups = true;
                } else {
                        r = sd_bus_message_skip(reply, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return have_uid ? 0 : -ENODATA;
}

static bool decide(struct hvd *h, uid_t uid, const gid_t *groups, int n_groups, bool have_groups)
{
        if (uid == 0 || uid == getuid())
                return true;
        if (h->group_gid == (gid_t)-1)
                return false;
        if (!have_groups)
                return user_in_group(uid, h->group_gid);
        for (int i = 0; i < n_groups; i++)
                if (groups[i] == h->group_gid)
                        return true;
        return false;
}

static int on_creds(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        struct pending *p = userdata;
        struct hvd *h = p->h;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        gid_t groups[CALLER_GROUPS_MAX];
        int n_groups, r;
        bool have_groups, allowed;
        uid_t uid = (uid_t)-1;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                r = hvd_bus_error_setf(&error, -EACCES, "cannot learn who the caller is: %s",
                                       sd_bus_message_get_error(reply)->message);
                goto reply;
        }
        r = parse_creds(reply, &uid, groups, &n_groups, &have_groups);
        if (r < 0) {
                r = hvd_bus_error_setf(&error, -EACCES, "cannot learn who the caller is: %s", strerror(-r));
                goto reply;
        }
        allowed = decide(h, uid, groups, n_groups, have_groups);
        cache_add(h, sd_bus_message_get_sender(p->call), uid, allowed);
        r = allowed ? p->fn(p->call, h, &error) : deny(h, p->call, uid, &error);
reply:
        if (r < 0) {
                if (!sd_bus_error_is_set(&error))
                        (void)sd_bus_error_set_errno(&error, r);
                if (sd_bus_reply_method_error(p->call, &error) < 0)
                        log_warning("cannot send an error reply, ignoring");
        }
        sd_bus_error_free(&error);
        sd_bus_message_unref(p->call);
        free(p);
        h->creds->n_pending--;
        return 0;
}

int hvd_authorize(struct hvd *h, sd_bus_message *m, hvd_method_fn fn, sd_bus_error *error)
{
        const char *sender = sd_bus_message_get_sender(m);
        struct cache_entry *e;
        struct pending *p;
        int r;

        if (!sender)
                return hvd_bus_error_setf(error, -EACCES, "calls without a sender are refused");
        e = cache_find(h, sender);
        if (e)
                return e->allowed ? fn(m, h, error) : deny(h, m, e->uid, error);

        if (!h->creds && !(h->creds = calloc(1, sizeof(*h->creds))))
                return -ENOMEM;
        if (h->creds->n_pending >= PENDING_MAX)
                return hvd_bus_error_setf(error, -ENOSPC, "%u calls are waiting for their caller check; try again", PENDING_MAX);
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        *p = (struct pending){ .h = h, .call = sd_bus_message_ref(m), .fn = fn };
        r = sd_bus_call_method_async(h->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetConnectionCredentials", on_creds, p, "s", sender);
        if (r < 0) {
                sd_bus_message_unref(p->call);
                free(p);
                return hvd_bus_error_setf(error, -EACCES, "cannot learn who the caller is: %s", strerror(-r));
        }
        h->creds->n_pending++;
        return 1;
}
