// SPDX-License-Identifier: GPL-2.0-or-later
/* Scripted guests from dom0's side: start, talk, kill (see xb-env.h, xb-agent.h). */
#include "config.h"

#include "tests/xenbackend/xb-env-private.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "tests/xenbackend/xb-agent.h"

/* ---- guests ---- */

static int agent_entry(XenEmuPeer *self, gpointer data)
{
    /* The test's abort handler kills its children: not the guest's business. */
    signal(SIGABRT, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    return xb_agent_main(self, data);
}

XbAgent *xb_agent_start(XbEnv *env, unsigned domid)
{
    XbAgent *a = g_new0(XbAgent, 1);
    a->env = env;
    a->domid = domid;
    a->peer = xenemu_peer_fork(env->emu, domid, agent_entry, NULL);
    g_assert_nonnull(a->peer);
    xb_remember_child(xenemu_peer_pid(a->peer));
    g_ptr_array_add(env->agents, a);
    return a;
}

GPid xb_agent_pid(XbAgent *a)
{
    return xenemu_peer_pid(a->peer);
}

void xb_agent_send(XbAgent *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_assert_true(xenemu_peer_send(a->peer, "%s", line));
    g_free(line);
}

char *xb_agent_recv(XbAgent *a, int timeout_ms)
{
    return xenemu_peer_recv(a->peer, timeout_ms);
}

static char *vcall(XbAgent *a, int timeout_ms, const char *fmt, va_list ap)
{
    char *line = g_strdup_vprintf(fmt, ap);
    g_assert_true(xenemu_peer_send(a->peer, "%s", line));
    char *answer = xenemu_peer_recv(a->peer, timeout_ms);
    if (!answer)
        g_error("guest %u: no answer to \"%s\" within %d ms", a->domid, line, timeout_ms);
    g_free(line);
    return answer;
}

char *xb_agent_call(XbAgent *a, int timeout_ms, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *answer = vcall(a, timeout_ms, fmt, ap);
    va_end(ap);
    return answer;
}

char *xb_agent_ok(XbAgent *a, int timeout_ms, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *answer = xb_agent_call(a, timeout_ms, "%s", line);
    if (strcmp(answer, "ok") != 0 && !g_str_has_prefix(answer, "ok "))
        g_error("guest %u: \"%s\" answered \"%s\"", a->domid, line, answer);
    char *rest = g_strdup(answer[2] ? answer + 3 : "");
    g_free(answer);
    g_free(line);
    return rest;
}

void xb_agent_mount(XbAgent *a, unsigned devid, bool minios)
{
    g_free(xb_agent_ok(a, XB_TIMEOUT_MS, "connect device/9pfs/%u %s", devid,
                       minios ? "minios" : "linux"));
    g_free(xb_agent_ok(a, XB_TIMEOUT_MS, "mount %s %u", minios ? "9P2000.u" : "9P2000.L",
                       minios ? 32768u : 512u << 10));
}

void xb_agent_close(XbAgent *a)
{
    char *ms = xb_agent_ok(a, XB_TIMEOUT_MS, "close");
    /* Closing, Closed and the teardown take milliseconds; seconds mean a
     * state change the frontend waited for never came. */
    if (g_ascii_strtoull(ms, NULL, 10) > 3000)
        g_error("guest %u: close took %s ms", a->domid, ms);
    g_free(ms);
}

void xb_agent_assert_clean(XbAgent *a)
{
    char *stats = xb_agent_ok(a, XB_TIMEOUT_MS, "stats");
    g_assert_cmpstr(stats, ==, "wrong_tag=0 split=0 after_flush=0 wrong_ring=0 broken=0");
    g_free(stats);
}

void xb_agent_kill(XbAgent *a)
{
    GPid pid = xenemu_peer_pid(a->peer);
    kill(pid, SIGKILL);
    xenemu_peer_wait(a->peer);
    xb_forget_child(pid);
    g_ptr_array_remove(a->env->agents, a);
    g_free(a);
}
