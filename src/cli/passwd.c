/*
 * passwd.c - `vigie passwd`: set a dashboard user's password
 * (docs/dashboard-users.md).
 *
 * The password comes from the controlling terminal (/dev/tty, twice, echo
 * off) or, with --stdin, from the first line of standard input (scripts,
 * tests). It is read with read(2) into one stack buffer (no stdio copy),
 * handed to users_set_password, and wiped; it is never printed.
 *
 * While echo is off, the terminal signals (^C, ^\, ^Z, hang-up, TERM) are
 * blocked and watched through a signalfd: one of them restores the
 * terminal first, then is let through, so the shell never gets back a
 * terminal that does not echo. No handler, no static state.
 *
 * Single-threaded.
 */
#include "cli/passwd.h"
#include "cli/usage.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "lib/common.h"
#include "lib/err.h"
#include "manager/users.h"

#define PW_BUF (USERS_PASSWORD_MAX + 2) /* the password, '\n' and one more */
#define PW_TTY "/dev/tty"

struct pw_opts {
	const char *home;
	const char *user;
	bool from_stdin;
};

/* A terminal with echo off, and the signals held while it is. */
struct pw_tty {
	int fd;
	int sfd; /* signalfd of the held signals */
	struct termios saved;
	sigset_t old_mask;
};

/* ---------------------------------------------------------------- options */

static void pw_usage(FILE *out)
{
	fprintf(out,
		"Usage: vigie passwd [-D HOME] [--stdin] USER\n"
		"Set the password of USER, a user of the dashboard and REST API of the\n"
		"vigie-manager of HOME; USER is created when it does not exist.\n"
		"\n"
		"The password is asked twice on the terminal, without echo; with --stdin it\n"
		"is the first line of standard input instead (for scripts). It must be %d\n"
		"to %d bytes long. It is stored as a salted scrypt hash in\n"
		"HOME/%s (mode 0600), replaced atomically; a running\n"
		"manager uses the new password at once, without a restart. Setting the\n"
		"password of '%s' removes HOME/%s, the password\n"
		"generated on the manager's first start.\n"
		"\n"
		"USER is 1 to %d characters of A-Z a-z 0-9 . _ -\n"
		"\n"
		"Options:\n"
		"  -D, --home DIR  the manager's home (default: %s)\n"
		"      --stdin     read the password from standard input, once\n"
		"  -h, --help      print this help and exit\n"
		"\n"
		"Examples:\n"
		"  vigie passwd admin\n"
		"  printf '%%s\\n' \"$NEW_PASSWORD\" | vigie passwd --stdin -D /var/vigie alice\n"
		"\n"
		"The password is never printed, logged or passed on the command line.\n"
		"\n"
		"Exit status: 0 when the password was set; 1 on an error (a password too\n"
		"short or too long, the two entries differ, no terminal, the users file\n"
		"cannot be read or written); 2 on a usage error.\n",
		USERS_PASSWORD_MIN, USERS_PASSWORD_MAX, USERS_FILE, USERS_ADMIN, USERS_ADMIN_PASS,
		USERS_NAME_MAX, VG_DEFAULT_HOME);
}

/* 0 to run, 1 after --help, 2 on a usage error. */
static int pw_parse(int argc, char **argv, struct pw_opts *o)
{
	enum { OPT_STDIN = 256 };
	static const struct option longopts[] = {
	    {"home", required_argument, NULL, 'D'},
	    {"stdin", no_argument, NULL, OPT_STDIN},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct pw_opts){.home = VG_DEFAULT_HOME};
	optind = 1; /* argv is the subcommand's: parse it from its start */
	while ((c = getopt_long(argc, argv, "D:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			o->home = optarg;
			break;
		case OPT_STDIN:
			o->from_stdin = true;
			break;
		case 'h':
			pw_usage(stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'vigie passwd --help'.\n");
			return 2;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("passwd", "%s",
				       argc - optind == 0 ? "missing USER" : "one USER only");
	o->user = argv[optind];
	if (!users_name_valid(o->user))
		return cli_usage_error("passwd", "USER must be 1 to %d of A-Z a-z 0-9 . _ -",
				       USERS_NAME_MAX);
	return 0;
}

/* ---------------------------------------------------------------- reading */

/*
 * Read one line from fd into buf (PW_BUF bytes), NUL-terminated, without
 * its "\n" or "\r\n". With sfd >= 0, a signal arriving first sets
 * *cancelled. A line longer than USERS_PASSWORD_MAX is VG_ETOOBIG.
 */
static int pw_read_line(int fd, int sfd, char *buf, bool *cancelled, struct vg_err *err)
{
	size_t n = 0;
	char *nl = NULL;

	*cancelled = false;
	while (nl == NULL && n < PW_BUF - 1) {
		if (sfd >= 0) {
			struct pollfd p[2] = {{sfd, POLLIN, 0}, {fd, POLLIN, 0}};
			if (poll(p, 2, -1) < 0 && errno != EINTR)
				return vg_err_errno(err, errno, "cannot wait for the terminal");
			if (p[0].revents != 0) {
				*cancelled = true;
				return VG_EINTERNAL;
			}
			if (p[1].revents == 0)
				continue;
		}
		ssize_t r = read(fd, buf + n, PW_BUF - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vg_err_errno(err, errno, "cannot read the password");
		if (r == 0)
			break;
		nl = memchr(buf + n, '\n', (size_t)r);
		n += (size_t)r;
	}
	size_t len = nl != NULL ? (size_t)(nl - buf) : n;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len > USERS_PASSWORD_MAX)
		return vg_err_set(err, VG_ETOOBIG, "the password must be at most %d bytes",
				  USERS_PASSWORD_MAX);
	if (nl == NULL && n == 0)
		return vg_err_set(err, VG_EPARSE, "no password given (end of input)");
	return 0;
}

/* Echo off and the terminal signals held (see the top comment). */
static int pw_tty_open(struct pw_tty *t, struct vg_err *err)
{
	struct termios quiet;
	sigset_t held;

	*t = (struct pw_tty){.fd = -1, .sfd = -1};
	t->fd = open(PW_TTY, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->fd < 0)
		return vg_err_errno(err, errno,
				    "cannot open the terminal " PW_TTY " (use --stdin in scripts)");
	sigemptyset(&held);
	sigaddset(&held, SIGINT);
	sigaddset(&held, SIGQUIT);
	sigaddset(&held, SIGTSTP);
	sigaddset(&held, SIGHUP);
	sigaddset(&held, SIGTERM);
	sigprocmask(SIG_BLOCK, &held, &t->old_mask);
	t->sfd = signalfd(-1, &held, SFD_CLOEXEC);
	if (t->sfd < 0 || tcgetattr(t->fd, &t->saved) != 0) {
		int e = errno;
		sigprocmask(SIG_SETMASK, &t->old_mask, NULL);
		if (t->sfd >= 0)
			close(t->sfd);
		close(t->fd);
		*t = (struct pw_tty){.fd = -1, .sfd = -1};
		return vg_err_errno(err, e, "cannot set up the terminal");
	}
	quiet = t->saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	tcsetattr(t->fd, TCSAFLUSH, &quiet);
	return 0;
}

/* Echo back, then the held signals delivered (one may end the process). */
static void pw_tty_close(struct pw_tty *t)
{
	if (t->fd < 0)
		return;
	tcsetattr(t->fd, TCSAFLUSH, &t->saved);
	close(t->sfd);
	close(t->fd);
	sigprocmask(SIG_SETMASK, &t->old_mask, NULL);
	*t = (struct pw_tty){.fd = -1, .sfd = -1};
}

static int pw_prompt(const struct pw_tty *t, const char *text, char *buf, struct vg_err *err)
{
	bool cancelled;
	size_t len = strlen(text);

	if (write(t->fd, text, len) != (ssize_t)len)
		return vg_err_errno(err, errno, "cannot write to the terminal");
	int rc = pw_read_line(t->fd, t->sfd, buf, &cancelled, err);
	if (cancelled) {
		(void)!write(t->fd, "\n", 1);
		return vg_err_set(err, VG_EINTERNAL, "cancelled");
	}
	return rc;
}

/* Too short is refused before the second prompt (and before any file). */
static int pw_check_length(const char *pw, struct vg_err *err)
{
	if (strlen(pw) < USERS_PASSWORD_MIN)
		return vg_err_set(err, VG_EPARSE, "the password must be at least %d characters",
				  USERS_PASSWORD_MIN);
	return 0;
}

/* The new password, twice from the terminal, into pw (PW_BUF bytes). */
static int pw_from_tty(const char *user, char *pw, struct vg_err *err)
{
	char again[PW_BUF];
	char prompt[128];
	struct pw_tty t;

	snprintf(prompt, sizeof(prompt), "New password for %s: ", user);
	int rc = pw_tty_open(&t, err);
	if (rc == 0)
		rc = pw_prompt(&t, prompt, pw, err);
	if (rc == 0)
		rc = pw_check_length(pw, err);
	if (rc == 0)
		rc = pw_prompt(&t, "Retype the new password: ", again, err);
	if (rc == 0 && strcmp(pw, again) != 0)
		rc = vg_err_set(err, VG_EPARSE, "the passwords do not match; nothing changed");
	explicit_bzero(again, sizeof(again));
	pw_tty_close(&t);
	return rc;
}

/* ---------------------------------------------------------------- command */

static int pw_run(const struct pw_opts *o, struct vg_err *err)
{
	char pw[PW_BUF];
	struct stat st;
	bool cancelled;
	int rc;

	if (stat(o->home, &st) != 0 || !S_ISDIR(st.st_mode))
		return vg_err_set(err, VG_ENOTFOUND, "%s is not a directory (the manager's home)",
				  o->home);
	if (o->from_stdin)
		rc = pw_read_line(STDIN_FILENO, -1, pw, &cancelled, err);
	else
		rc = pw_from_tty(o->user, pw, err);
	if (rc == 0)
		rc = pw_check_length(pw, err);
	if (rc == 0)
		rc = users_set_password(o->home, o->user, pw, err);
	explicit_bzero(pw, sizeof(pw));
	if (rc == 0)
		printf("vigie passwd: password of %s set in %s/%s\n", o->user, o->home, USERS_FILE);
	return rc;
}

int cli_passwd(int argc, char **argv)
{
	struct vg_err err = VG_ERR_INIT;
	struct pw_opts o;
	int status = pw_parse(argc, argv, &o);

	if (status != 0)
		return status == 1 ? 0 : status;
	if (pw_run(&o, &err) != 0) {
		fprintf(stderr, "vigie passwd: %s\n", err.code != 0 ? err.msg : "failed");
		return 1;
	}
	return 0;
}
