/*
 * passwd.h - `vigie passwd [-D HOME] [--stdin] USER`: set a dashboard
 * user's password in HOME/etc/dashboard.users (docs/dashboard-users.md).
 */
#ifndef CLI_PASSWD_H
#define CLI_PASSWD_H

/* Run the command (argv[0] is "passwd"); returns the exit status:
 * 0 set, 1 error (short password, mismatch, file), 2 usage. */
int cli_passwd(int argc, char **argv);

#endif
