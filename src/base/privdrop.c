/* privdrop.c - `opengov serve` and `opengov monitor` never run as root: when
 * started as root they become OPENGOV_USER, each step checked. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "opengov/base/privdrop.h"

int privdrop(const char *user, char *err, size_t errlen)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getuid() != 0 && geteuid() != 0)
		return 0;
	struct passwd *pw = user && *user ? getpwnam(user) : NULL;
	if (!pw) {
		snprintf(err, errlen,
			 "started as root, and the service user %s does not exist"
			 " (scripts/bootstrap.sh creates it; OPENGOV_USER names another)",
			 user && *user ? user : "(empty)");
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(err, errlen, "OPENGOV_USER %s has uid or gid 0: not a service user",
			 user);
		return -1;
	}
	/* Groups first: once the uid is gone, they cannot be changed. */
	if (initgroups(user, pw->pw_gid)) {
		snprintf(err, errlen, "initgroups(%s): %s", user, strerror(errno));
		return -1;
	}
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid)) {
		snprintf(err, errlen, "setresgid(%d): %s", (int)pw->pw_gid, strerror(errno));
		return -1;
	}
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid)) {
		snprintf(err, errlen, "setresuid(%d): %s", (int)pw->pw_uid, strerror(errno));
		return -1;
	}
	/* Trust, but verify: every id is the user's and root is out of reach. */
	if (getresuid(&ruid, &euid, &suid) || getresgid(&rgid, &egid, &sgid) ||
	    ruid != pw->pw_uid || euid != pw->pw_uid || suid != pw->pw_uid ||
	    rgid != pw->pw_gid || egid != pw->pw_gid || sgid != pw->pw_gid) {
		snprintf(err, errlen, "the ids are not those of %s after the change", user);
		return -1;
	}
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1 || setgroups(0, NULL) != -1) {
		snprintf(err, errlen, "root could be regained after becoming %s", user);
		return -1;
	}
	return 0;
}
