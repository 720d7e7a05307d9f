/*
 * keys.c - the CURVE key pairs of the coupling bus: making one, the key file
 * a member reads its secret key from, and the checks that tie a member's key
 * to the couple config.
 *
 * Every member of a sysplex has one key pair (Curve25519, as ZeroMQ's CURVE
 * mechanism uses it, written in Z85: 40 characters).  The public keys are
 * listed in the couple config (MEMBER ... KEY) and in the couple data set;
 * the secret key stays in a file of the member's own state directory:
 *
 *     ; CURVE key pair of an XCF member (keep this file secret: mode 0600)
 *     PUBLIC <40 Z85 characters>
 *     SECRET <40 Z85 characters>
 *
 * A key file must be a regular file, not readable or writable by group or
 * others; its PUBLIC line must be the public key of its SECRET line.  Files
 * are created with O_EXCL under a temporary name, mode 0600 from the start,
 * and renamed into place: an existing key file is never overwritten.
 */
#include "xcf/xcf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define KEYFILE_MAX 4096

static int
key_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
key_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int
xcf_keypair(char pub[XCF_KEY_LEN + 1], char sec[XCF_KEY_LEN + 1])
{
	if (!zmq_has("curve"))
		return -ENOTSUP;
	return zmq_curve_keypair(pub, sec) == 0 ? 0 : -errno;
}

int
xcf_key_public(const char *sec, char pub[XCF_KEY_LEN + 1])
{
	uint8_t raw[32];

	if (xcf_key_decode(sec, raw) < 0)
		return -EINVAL;
	return zmq_curve_public(pub, sec) == 0 ? 0 : -EINVAL;
}

int
xcf_key_generate(const char *path, char pub[XCF_KEY_LEN + 1], char *err, size_t errlen)
{
	char sec[XCF_KEY_LEN + 1], tmp[XCF_PATH_LEN + 16], text[256];
	int fd, rc, n;

	if (strlen(path) >= XCF_PATH_LEN)
		return key_err(err, errlen, "%s: path too long", path);
	if (access(path, F_OK) == 0)
		return key_err(err, errlen, "%s: exists already (a key file is never overwritten; "
			       "remove it first to make a new key pair)", path);
	if ((rc = xcf_keypair(pub, sec)) < 0)
		return key_err(err, errlen, "%s: cannot make a CURVE key pair: %s", path,
			       strerror(-rc));
	n = snprintf(text, sizeof(text),
		     "; CURVE key pair of an XCF member (keep this file secret: mode 0600)\n"
		     "PUBLIC %s\nSECRET %s\n", pub, sec);
	explicit_bzero(sec, sizeof(sec));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = errno;
		explicit_bzero(text, sizeof(text));
		return key_err(err, errlen, "%s: %s", tmp, strerror(rc));
	}
	rc = lib_write_all(fd, text, (size_t)n);
	explicit_bzero(text, sizeof(text));
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && link(tmp, path) < 0)	/* never replaces an existing file */
		rc = -errno;
	unlink(tmp);
	if (rc < 0)
		return key_err(err, errlen, "%s: %s", path, strerror(-rc));
	return 0;
}

/* One "WORD KEY" line of a key file into out; 0, or -EINVAL. */
static int
key_line(const char *line, const char *word, char out[XCF_KEY_LEN + 1])
{
	size_t wl = strlen(word);
	uint8_t raw[32];

	if (strncmp(line, word, wl) != 0 || line[wl] != ' ')
		return -EINVAL;
	line += wl + 1;
	if (strlen(line) != XCF_KEY_LEN || xcf_key_decode(line, raw) < 0)
		return -EINVAL;
	memcpy(out, line, XCF_KEY_LEN + 1);
	return 0;
}

int
xcf_key_parse(const char *text, size_t len, const char *name, char pub[XCF_KEY_LEN + 1],
	      char sec[XCF_KEY_LEN + 1], char *err, size_t errlen)
{
	char line[128];
	int have_pub = 0, have_sec = 0, lineno = 0, rc = 0;
	size_t off = 0;

	memset(pub, 0, XCF_KEY_LEN + 1);
	explicit_bzero(sec, XCF_KEY_LEN + 1);
	if (len > KEYFILE_MAX)
		return key_err(err, errlen, "%s: larger than %d bytes", name, KEYFILE_MAX);
	if (memchr(text, '\0', len))
		return key_err(err, errlen, "%s: NUL byte in the file", name);
	while (rc == 0 && off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) : len - off;

		lineno++;
		if (l >= sizeof(line)) {
			rc = key_err(err, errlen, "%s:%d: line longer than %zu bytes", name, lineno,
				     sizeof(line) - 1);
			break;
		}
		memcpy(line, text + off, l);
		line[l] = '\0';
		off += l + (nl ? 1 : 0);
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		if (l == 0 || line[0] == ';')
			continue;
		if (strncmp(line, "PUBLIC", 6) == 0 && !have_pub) {
			if (key_line(line, "PUBLIC", pub) < 0)
				rc = key_err(err, errlen, "%s:%d: PUBLIC: expected PUBLIC and a key of "
					     "%d Z85 characters", name, lineno, XCF_KEY_LEN);
			have_pub = 1;
		} else if (strncmp(line, "SECRET", 6) == 0 && !have_sec) {
			if (key_line(line, "SECRET", sec) < 0)
				rc = key_err(err, errlen, "%s:%d: SECRET: expected SECRET and a key of "
					     "%d Z85 characters", name, lineno, XCF_KEY_LEN);
			have_sec = 1;
		} else {
			rc = key_err(err, errlen, "%s:%d: expected PUBLIC KEY or SECRET KEY, once "
				     "each", name, lineno);
		}
	}
	explicit_bzero(line, sizeof(line));
	if (rc == 0 && (!have_pub || !have_sec))
		rc = key_err(err, errlen, "%s: needs a PUBLIC and a SECRET line", name);
	if (rc < 0)
		explicit_bzero(sec, XCF_KEY_LEN + 1);
	return rc;
}

int
xcf_key_load(const char *path, char pub[XCF_KEY_LEN + 1], char sec[XCF_KEY_LEN + 1], char *err,
	     size_t errlen)
{
	char buf[KEYFILE_MAX + 1], derived[XCF_KEY_LEN + 1];
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return key_err(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return key_err(err, errlen, "%s: not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return key_err(err, errlen, "%s: mode %04o: a secret key file must not be open to "
			       "group or others (chmod 600)", path, (unsigned)(st.st_mode & 07777));
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return key_err(err, errlen, "%s: %s", path, strerror(errno));
	rc = xcf_key_parse(buf, (size_t)n, path, pub, sec, err, errlen);
	explicit_bzero(buf, sizeof(buf));
	if (rc == 0 && (xcf_key_public(sec, derived) < 0 || strcmp(derived, pub) != 0)) {
		explicit_bzero(sec, XCF_KEY_LEN + 1);
		rc = key_err(err, errlen, "%s: PUBLIC is not the public key of SECRET", path);
	}
	return rc;
}

int
xcf_key_check(const struct xcf_couple *c, const char *sysname, const char *tcpname,
	      const char *sec, char *err, size_t errlen)
{
	char pub[XCF_KEY_LEN + 1];
	int i, self = -1;

	for (i = 0; i < c->n; i++) {
		if (!c->m[i].key[0])
			return key_err(err, errlen, "MEMBER %s has no KEY in the couple config: every "
				       "member needs one (the bus runs CURVE only)", c->m[i].sysname);
		if (strcmp(c->m[i].sysname, sysname) == 0 &&
		    (!tcpname || !tcpname[0] || strcmp(c->m[i].tcpname, tcpname) == 0))
			self = i;
	}
	if (self < 0)
		return key_err(err, errlen, "%s is not a member of the couple config", sysname);
	if (!sec || xcf_key_public(sec, pub) < 0)
		return key_err(err, errlen, "no valid CURVE secret key for %s", sysname);
	if (strcmp(pub, c->m[self].key) != 0)
		return key_err(err, errlen, "the secret key of %s belongs to public key %s, but the "
			       "couple config lists KEY %s for it", sysname, pub, c->m[self].key);
	return 0;
}
