/*
 * daemon.c - The daemons' shared options and start-up sequence (see daemon.h).
 */
#include "lib/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/fs.h"
#include "lib/log.h"
#include "lib/mem.h"

static int make_dir(const char *home, const char *dir, struct vg_err *err)
{
	char *p = vg_xasprintf("%s/%s", home, dir);
	int rc = vg_fs_mkdirs(p, 0750, err);
	vg_free(p);
	return rc;
}

/* The daemon's own directories, then those of its caller. */
static int make_dirs(const struct vg_daemon_opts *o, struct vg_err *err)
{
	int rc = make_dir(o->home, "logs", err);
	if (rc == 0)
		rc = make_dir(o->home, "var/run", err);
	for (size_t i = 0; rc == 0 && i < o->ndirs; i++)
		rc = make_dir(o->home, o->dirs[i], err);
	return rc;
}

/* Double fork: the daemon is no session leader and can never get a tty. */
static int detach(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return chdir("/");
}

/*
 * Open files: the soft limit up to the hard one (at most
 * VG_DAEMON_NOFILE_MAX). A shell's 1024 caps a manager near a thousand
 * agents and the hashing queue at a few hundred files; systemd's hard
 * limit is 524288. Nothing here uses select(2), so descriptors above 1024
 * are fine. A failure only leaves the limit as it was.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > VG_DAEMON_NOFILE_MAX
			  ? VG_DAEMON_NOFILE_MAX
			  : rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		vg_log_debug("open files limit left as it is: %s", strerror(errno));
}

int vg_daemon_start(const struct vg_daemon_opts *o, struct vg_pidfile **pidfile, struct vg_err *err)
{
	struct vg_pidfile *pf = NULL;
	char *path = NULL;
	int rc;

	*pidfile = NULL;
	if ((rc = make_dirs(o, err)) != 0)
		goto out;
	path = vg_xasprintf("%s/var/run/%s.pid", o->home, o->pid_name);
	if ((rc = vg_pidfile_acquire(path, &pf, err)) != 0)
		goto out;
	vg_free(path);
	path = vg_xasprintf("%s/logs/vigie.log", o->home);
	if ((rc = vg_log_open(path, o->foreground, err)) != 0)
		goto out;
	raise_nofile();
	if (!o->foreground && detach() != 0) {
		rc = vg_err_errno(err, errno, "cannot daemonize");
		goto out;
	}
	/* the pid changed if we forked */
	if ((rc = vg_pidfile_write(pf, err)) != 0)
		goto out;
	*pidfile = pf; /* transferred */
	pf = NULL;
out:
	vg_pidfile_release(pf);
	vg_free(path);
	return rc;
}

void vg_daemon_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The shared options, then the daemon's own ones valued 256, 257... */
static size_t build_longopts(struct option *lo, const struct vg_daemon_opt *extra, size_t nextra)
{
	static const struct option base[] = {
	    {"config", required_argument, NULL, 'c'}, {"home", required_argument, NULL, 'D'},
	    {"foreground", no_argument, NULL, 'f'},   {"test-config", no_argument, NULL, 't'},
	    {"debug", no_argument, NULL, 'd'},        {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	};
	size_t n = sizeof(base) / sizeof(base[0]);

	memcpy(lo, base, sizeof(base));
	for (size_t i = 0; i < nextra; i++)
		lo[n++] = (struct option){extra[i].name,
					  extra[i].has_arg ? required_argument : no_argument, NULL,
					  256 + (int)i};
	lo[n] = (struct option){NULL, 0, NULL, 0};
	return n;
}

static int usage_error(const char *prog, void (*usage)(FILE *out), const char *stray)
{
	if (stray != NULL)
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, stray);
	usage(stderr);
	return 2;
}

int vg_daemon_parse_args(int argc, char **argv, const char *prog, void (*usage)(FILE *out),
			 const struct vg_daemon_opt *extra, size_t nextra, void *ctx,
			 struct vg_daemon_args *a)
{
	struct option lo[7 + VG_DAEMON_MAX_EXTRA + 1];
	int c;

	if (nextra > VG_DAEMON_MAX_EXTRA)
		nextra = VG_DAEMON_MAX_EXTRA;
	build_longopts(lo, extra, nextra);
	while ((c = getopt_long(argc, argv, "c:D:ftdVh", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'D':
			a->home = optarg;
			break;
		case 'f':
			a->foreground = true;
			break;
		case 't':
			a->test_config = true;
			break;
		case 'd':
			a->debug = true;
			break;
		case 'V':
			printf("%s %s\n", prog, VIGIE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			if (c < 256 || (size_t)(c - 256) >= nextra)
				return usage_error(prog, usage, NULL);
			extra[c - 256].set(ctx, optarg);
		}
	}
	return optind < argc ? usage_error(prog, usage, argv[optind]) : 0;
}
