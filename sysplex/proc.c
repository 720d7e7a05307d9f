/*
 * proc.c - running programs for the launcher: one-shot commands whose output
 * is captured, daemons started inside a namespace, liveness checks that are
 * safe against pid reuse, and killing with a poll (SIGTERM, then SIGKILL).
 *
 * Every program is started with fork/exec and an argv: no shell, so names
 * from a topology file can never be interpreted as shell syntax.
 */
#include "sysplex/sysplex.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void
plex_msleep(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* In a freshly forked child: default signal dispositions and mask, stdin
 * from /dev/null, no inherited descriptors above 2 except `keep`. */
static void
child_reset(int keep)
{
	sigset_t ss;
	int fd, sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&ss);
	sigprocmask(SIG_SETMASK, &ss, NULL);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	for (fd = 3; fd < 1024; fd++)
		if (fd != keep)
			close(fd);
}

static int
status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

/* pipe2(p, O_CLOEXEC), then fork: the child's pid (0 in the child), or
 * -errno with nothing left open. */
static pid_t
pipe_fork(int p[2])
{
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	return pid;
}

int
plex_run(char *const argv[], char *out, size_t outlen, int timeout_ms)
{
	uint64_t deadline = lib_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 30000);
	size_t used = 0;
	int p[2], st = 0, killed = 0;
	pid_t pid;

	if (out && outlen)
		out[0] = '\0';
	pid = pipe_fork(p);
	if (pid < 0)
		return (int)pid;
	if (pid == 0) {
		child_reset(p[1]);
		if (out) {
			dup2(p[1], 1);
			dup2(p[1], 2);
		} else {
			int fd = open("/dev/null", O_WRONLY);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	/* Read until EOF (every writer gone) or the deadline. */
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		uint64_t now = lib_now_ms();
		char buf[4096];
		ssize_t n;
		int r;

		if (now >= deadline) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		n = read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out && used + 1 < outlen) {
			size_t c = (size_t)n < outlen - 1 - used ? (size_t)n : outlen - 1 - used;
			memcpy(out + used, buf, c);
			used += c;
			out[used] = '\0';
		}
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (killed)
		return -ETIMEDOUT;
	return status_code(st);
}

int
plex_run_checked(char *const argv[])
{
	char out[2048], cmd[512];
	size_t used = 0;
	int i, rc = plex_run(argv, out, sizeof(out), 30000);

	if (rc == 0)
		return 0;
	for (i = 0; argv[i] && used + 2 < sizeof(cmd); i++) {
		int n = snprintf(cmd + used, sizeof(cmd) - used, "%s%s", i ? " " : "", argv[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	/* Keep the message on one line. */
	for (char *s = out; *s; s++)
		if (*s == '\n')
			*s = s[1] ? ' ' : '\0';
	if (rc < 0)
		fprintf(stderr, "sysplex: %s: %s\n", cmd, strerror(-rc));
	else
		fprintf(stderr, "sysplex: %s: failed (exit %d)%s%s\n", cmd, rc, out[0] ? ": " : "",
			out);
	return -1;
}

pid_t
plex_spawn(const char *ns, char *const argv[], const char *logpath)
{
	char *args[64];
	int i, n = 0, errp[2];
	pid_t pid;

	args[n++] = "ip";
	args[n++] = "netns";
	args[n++] = "exec";
	args[n++] = (char *)ns;
	for (i = 0; argv[i] && n < (int)LIB_ARRAY_LEN(args) - 1; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	/* A close-on-exec pipe tells the parent whether exec worked. */
	pid = pipe_fork(errp);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		int fd, e;

		child_reset(errp[1]);
		setsid();
		fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(args[0], args);
		e = errno;
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(errp[1]);
	{
		int e = 0;
		ssize_t r;

		do
			r = read(errp[0], &e, sizeof(e));
		while (r < 0 && errno == EINTR);
		close(errp[0]);
		if (r == (ssize_t)sizeof(e)) {
			waitpid(pid, NULL, 0);
			return -e;
		}
	}
	return pid;
}

/* Reads /proc/PID/stat: state character and start time; -1 when gone. */
static int
pid_stat(pid_t pid, char *state, unsigned long long *starttime)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || !p[1])
		return -1;
	p += 2;			/* field 3: state */
	*state = *p;
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	*starttime = p ? strtoull(p, NULL, 10) : 0;
	return 0;
}

unsigned long long
plex_pid_starttime(pid_t pid)
{
	unsigned long long st = 0;
	char state;

	if (pid_stat(pid, &state, &st) < 0)
		return 0;
	return st;
}

/* The threads of process pid still listed (its task directory): a zombie
 * thread-group leader stays listed while other threads still exit. */
static int
task_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
plex_pid_alive(pid_t pid, unsigned long long starttime)
{
	unsigned long long st = 0;
	char state = 0;
	int status;

	if (pid <= 1)
		return 0;
	if (waitpid(pid, &status, WNOHANG) == pid)
		return 0;	/* our child, now reaped */
	if (pid_stat(pid, &state, &st) < 0)
		return 0;
	/* A zombie leader is gone only once its other threads are: until
	 * then they hold its files (a stack's TUN: a restarted stack could
	 * not open it, EBUSY). */
	if ((state == 'Z' || state == 'X') && task_count(pid) <= 1)
		return 0;
	if (starttime && st != starttime)
		return 0;	/* the pid now belongs to someone else */
	return 1;
}

int
plex_kill_all(const pid_t *pids, const unsigned long long *starttimes, int n, int term_ms)
{
	uint64_t deadline;
	int i, left = 0, pass;

	for (pass = 0; pass < 2; pass++) {
		int sig = pass == 0 ? SIGTERM : SIGKILL;

		/* SIGCONT after the signal: a stopped (`sysplex hang`) process
		 * would otherwise hold SIGTERM pending until the SIGKILL pass. */
		for (i = 0; i < n; i++)
			if (plex_pid_alive(pids[i], starttimes ? starttimes[i] : 0)) {
				kill(pids[i], sig);
				kill(pids[i], SIGCONT);
			}
		deadline = lib_now_ms() + (uint64_t)(pass == 0 ? term_ms : 1000);
		for (;;) {
			left = 0;
			for (i = 0; i < n; i++)
				left += plex_pid_alive(pids[i], starttimes ? starttimes[i] : 0);
			if (left == 0 || lib_now_ms() >= deadline)
				break;
			plex_msleep(20);
		}
		if (left == 0)
			break;
	}
	return left;
}

void
plex_tail(const char *path, int lines)
{
	char buf[8192], *p;
	off_t size;
	ssize_t n;
	int fd, count = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "    (no log: %s: %s)\n", path, strerror(errno));
		return;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(buf) - 1)
		lseek(fd, size - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "    (%s is empty)\n", path);
		return;
	}
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	for (p = buf + n; p > buf; p--)
		if (p[-1] == '\n' && ++count == lines)
			break;
	fprintf(stderr, "    --- last lines of %s ---\n", path);
	while (*p) {
		char *e = strchr(p, '\n');

		if (e)
			*e = '\0';
		fprintf(stderr, "    %s\n", p);
		if (!e)
			break;
		p = e + 1;
	}
}

/* The process state letter of pid ('T' stopped), 0 when gone. */
char
plex_pid_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : 0;
}
