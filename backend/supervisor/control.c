// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket (see control.h). */
#include "config.h"

#include "backend/supervisor/control.h"
#include "backend/supervisor/fdlimit.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct control {
    int fd;
    char *path;
    control_handler handler;
    void *ctx;
};

struct control *control_open(const char *path, control_handler handler, void *ctx,
                             GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                    "control socket path too long: %s", path);
        return NULL;
    }
    char *dir = g_path_get_dirname(path);
    g_mkdir_with_parents(dir, 0755);
    g_free(dir);
    strcpy(sa.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    mode_t old = umask(0077);       /* root only: it shows every guest's shares */
    int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc < 0 || listen(fd, 8) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot listen on %s: %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct control *c = g_new0(struct control, 1);
    c->fd = fd;
    c->path = g_strdup(path);
    c->handler = handler;
    c->ctx = ctx;
    return c;
}

int control_fd(struct control *c)
{
    return c->fd;
}

void control_serve(struct control *c)
{
    int fd;
    while ((fd = fdlimit_accept(c->fd, SOCK_CLOEXEC, 0, "control socket")) >= 0) {
        /* A stuck client must not stall the daemon's main loop for long. */
        struct timeval tv = { .tv_sec = 1 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        char line[256];
        ssize_t n = recv(fd, line, sizeof(line) - 1, 0);
        if (n > 0) {
            line[n] = '\0';
            line[strcspn(line, "\r\n")] = '\0';
            GString *out = g_string_new(NULL);
            c->handler(line, out, c->ctx);
            for (size_t off = 0; off < out->len;) {
                ssize_t w = send(fd, out->str + off, out->len - off, MSG_NOSIGNAL);
                if (w <= 0)
                    break;
                off += w;
            }
            g_string_free(out, TRUE);
        }
        close(fd);
    }
}

void control_close(struct control *c)
{
    if (!c)
        return;
    close(c->fd);
    unlink(c->path);
    g_free(c->path);
    g_free(c);
}
