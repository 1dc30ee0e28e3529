/*
 * Start-up only (blocking libpq on the main thread): wait for Postgres and
 * apply migrations exactly as golang-migrate's postgres driver does, so a
 * database is interchangeable with the reference service's: the same
 * advisory lock id, the same schema_migrations(version, dirty) row written
 * dirty before and clean after each migration.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "challenged/db.h"
#include "challenged/obs.h"

static void conninfo_value(char *out, size_t len, size_t *pos, const char *key, const char *val)
{
	if (!val || !*val)
		return;
	int n = snprintf(out + *pos, len - *pos, "%s%s='", *pos ? " " : "", key);
	if (n < 0 || (size_t)n >= len - *pos)
		return;
	*pos += (size_t)n;
	for (const char *p = val; *p && *pos + 3 < len; p++) {
		if (*p == '\'' || *p == '\\')
			out[(*pos)++] = '\\';
		out[(*pos)++] = *p;
	}
	if (*pos + 1 < len)
		out[(*pos)++] = '\'';
	out[*pos] = '\0';
}

void db_conninfo(char *out, size_t len, const char *host, const char *hostaddr,
		 const char *port, const char *dbname, const char *user,
		 const char *password, const char *sslmode)
{
	size_t pos = 0;
	out[0] = '\0';
	conninfo_value(out, len, &pos, "host", host);
	conninfo_value(out, len, &pos, "hostaddr", hostaddr);
	conninfo_value(out, len, &pos, "port", port);
	conninfo_value(out, len, &pos, "dbname", dbname);
	conninfo_value(out, len, &pos, "user", user);
	conninfo_value(out, len, &pos, "password", password);
	conninfo_value(out, len, &pos, "sslmode", sslmode);
	conninfo_value(out, len, &pos, "application_name", "challenged");
	/* Timestamps are parsed from text: pin their format. */
	conninfo_value(out, len, &pos, "options", "-c DateStyle=ISO");
}

/* Postgres notices ("... already exists, skipping") become debug log lines
 * instead of raw text on stderr. */
static void on_notice(void *arg, const char *message)
{
	(void)arg;
	char esc[512];
	obs_debug("database notice", "\"notice\":\"%s\"", obs_json_escape(message, esc, sizeof(esc)));
}

PGconn *db_wait_connect(const char *conninfo, int wait_s, char *err, size_t err_len)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	bool logged = false;
	for (;;) {
		PGconn *conn = PQconnectdb(conninfo);
		if (conn && PQstatus(conn) == CONNECTION_OK) {
			PQsetNoticeProcessor(conn, on_notice, NULL);
			return conn;
		}
		snprintf(err, err_len, "%s", conn ? PQerrorMessage(conn) : "out of memory");
		size_t n = strlen(err);
		while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = '\0';
		PQfinish(conn);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= wait_s)
			return NULL;
		if (!logged) {
			char esc[512];
			obs_warn("waiting for the database", "\"error\":\"%s\",\"wait_s\":%d",
				 obs_json_escape(err, esc, sizeof(esc)), wait_s);
			logged = true;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 500 * 1000000 }, NULL);
	}
}

/* golang-migrate's database.GenerateAdvisoryLockId(db, schema, table):
 * crc32 (IEEE) of "schema\0table\0db" times a salt, in uint32 arithmetic. */
uint32_t db_advisory_lock_id(const char *dbname, const char *schema, const char *table)
{
	uint32_t crc = 0xffffffffu;
	const char *parts[3] = { schema, table, dbname };
	for (int i = 0; i < 3; i++) {
		const unsigned char *p = (const unsigned char *)parts[i];
		size_t n = strlen(parts[i]) + (i < 2 ? 1 : 0); /* include the \0 separator */
		for (size_t k = 0; k < n; k++) {
			crc ^= p[k];
			for (int b = 0; b < 8; b++)
				crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
		}
	}
	crc = ~crc;
	return crc * 1486364155u;
}

static int exec_ok(PGconn *conn, const char *sql, char *err, size_t err_len, const char *what)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		snprintf(err, err_len, "%s: %s", what, PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

static int set_version(PGconn *conn, int version, bool dirty, char *err, size_t err_len)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "BEGIN; TRUNCATE schema_migrations; "
		 "INSERT INTO schema_migrations (version, dirty) VALUES (%d, %s); COMMIT;",
		 version, dirty ? "true" : "false");
	if (exec_ok(conn, sql, err, err_len, "recording the migration version") < 0) {
		PGresult *r = PQexec(conn, "ROLLBACK");
		PQclear(r);
		return -1;
	}
	return 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			char *p = realloc(data, cap + 1);
			if (!p) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = p;
		}
		size_t n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	data[len] = '\0';
	return data;
}

/* Up-migrations from a folder, or the embedded ones. Sorted by version. */
struct plan {
	int version[64];
	char *sql[64];
	bool owned[64];
	unsigned n;
};

static int plan_from_dir(struct plan *p, const char *dir, char *err, size_t err_len)
{
	if (!strncmp(dir, "file://", 7))
		dir += 7;
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, err_len, "cannot open migrations folder %s: %s", dir, strerror(errno));
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL && p->n < 64) {
		int v, used = 0;
		size_t len = strlen(e->d_name);
		if (len < 8 || strcmp(e->d_name + len - 7, ".up.sql") != 0 ||
		    sscanf(e->d_name, "%d_%n", &v, &used) != 1 || used == 0)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		char *sql = read_file(path);
		if (!sql) {
			snprintf(err, err_len, "cannot read %s", path);
			closedir(d);
			return -1;
		}
		unsigned i = p->n++;
		while (i > 0 && p->version[i - 1] > v) {
			p->version[i] = p->version[i - 1];
			p->sql[i] = p->sql[i - 1];
			p->owned[i] = p->owned[i - 1];
			i--;
		}
		p->version[i] = v;
		p->sql[i] = sql;
		p->owned[i] = true;
	}
	closedir(d);
	return 0;
}

static void plan_free(struct plan *p)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->owned[i])
			free(p->sql[i]);
}

static int apply(PGconn *conn, struct plan *p, char *err, size_t err_len)
{
	if (exec_ok(conn,
		    "CREATE TABLE IF NOT EXISTS schema_migrations "
		    "(version bigint not null primary key, dirty boolean not null)",
		    err, err_len, "creating schema_migrations") < 0)
		return -1;
	PGresult *r = PQexec(conn, "SELECT version, dirty FROM schema_migrations LIMIT 1");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, err_len, "reading schema_migrations: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	long current = -1;
	if (PQntuples(r) == 1) {
		current = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		if (PQgetvalue(r, 0, 1)[0] == 't') {
			snprintf(err, err_len, "Dirty database version %ld. Fix and force version.",
				 current);
			PQclear(r);
			return -1;
		}
	}
	PQclear(r);

	unsigned applied = 0;
	for (unsigned i = 0; i < p->n; i++) {
		if (p->version[i] <= current)
			continue;
		if (set_version(conn, p->version[i], true, err, err_len) < 0)
			return -1;
		char what[64];
		snprintf(what, sizeof(what), "migration %d failed", p->version[i]);
		if (exec_ok(conn, p->sql[i], err, err_len, what) < 0)
			return -1;
		if (set_version(conn, p->version[i], false, err, err_len) < 0)
			return -1;
		obs_info("migration applied", "\"version\":%d", p->version[i]);
		applied++;
	}
	if (!applied)
		obs_info("migrations up to date", "\"version\":%ld", current);
	return 0;
}

int db_migrate(PGconn *conn, const char *dbname, const char *migrations_dir,
	       char *err, size_t err_len)
{
	struct plan p = { .n = 0 };
	if (migrations_dir) {
		if (plan_from_dir(&p, migrations_dir, err, err_len) < 0) {
			plan_free(&p);
			return -1;
		}
	} else {
		for (unsigned i = 0; i < db_migrations_count && i < 64; i++) {
			p.version[i] = db_migrations[i].version;
			p.sql[i] = (char *)db_migrations[i].up;
			p.owned[i] = false;
		}
		p.n = db_migrations_count;
	}

	PGresult *r = PQexec(conn, "SELECT current_schema()");
	const char *schema = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
				     ? PQgetvalue(r, 0, 0) : "public";
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%u)",
		 db_advisory_lock_id(dbname, schema, "schema_migrations"));
	PQclear(r);

	int ret = exec_ok(conn, sql, err, err_len, "taking the migration lock");
	if (ret == 0) {
		ret = apply(conn, &p, err, err_len);
		PGresult *u = PQexec(conn, "SELECT pg_advisory_unlock_all()");
		PQclear(u);
	}
	plan_free(&p);
	return ret;
}
