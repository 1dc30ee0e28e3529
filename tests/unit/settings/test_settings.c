/* Environment and flags: defaults, the reference's fatal messages, flags
 * overriding variables. */
#include <stdlib.h>

#include "challenged/settings.h"
#include "check.h"

static int load(int argc, char **argv, struct settings *s, char *err)
{
	return settings_load(s, argc, argv, err, 256);
}

int main(void)
{
	struct settings s;
	char err[256];
	char *noargs[] = { "challenged", NULL };

	unsetenv("BASE_PATH");
	CHECK_INT_EQ(load(1, noargs, &s, err), -1);
	CHECK_STR_EQ(err, "BASE_PATH envar is not set or empty");
	setenv("BASE_PATH", "", 1);
	CHECK_INT_EQ(load(1, noargs, &s, err), -1);
	CHECK_STR_EQ(err, "BASE_PATH envar is not set or empty");
	setenv("BASE_PATH", "challenge", 1);
	CHECK_INT_EQ(load(1, noargs, &s, err), -1);
	CHECK_STR_EQ(err, "BASE_PATH envar is invalid, no leading '/' found. Valid example: /basePath");

	setenv("BASE_PATH", "/challenge", 1);
	unsetenv("REWARD_CLIENT_MODE");
	unsetenv("PLUGIN_GRPC_SERVER_AUTH_ENABLED");
	unsetenv("DB_NAME");
	CHECK_INT_EQ(load(1, noargs, &s, err), 0);
	CHECK_STR_EQ(s.base_path, "/challenge");
	CHECK_STR_EQ(s.namespace_, "accelbyte");
	CHECK(s.auth_enabled);
	CHECK(!s.reward_mock);
	CHECK_STR_EQ(s.db_name, "challenge_service");
	CHECK_STR_EQ(s.db_sslmode, "disable");
	CHECK_INT_EQ(s.http_port, 8000);
	CHECK_INT_EQ(s.grpc_port, 6565);
	CHECK_INT_EQ(s.metrics_port, 8080);
	CHECK_INT_EQ(s.max_body, 1 << 20);

	setenv("REWARD_CLIENT_MODE", "Mock", 1);
	CHECK_INT_EQ(load(1, noargs, &s, err), -1);
	CHECK_STR_EQ(err, "Invalid REWARD_CLIENT_MODE: Mock (must be 'mock' or 'real')");
	setenv("REWARD_CLIENT_MODE", "", 1);
	CHECK_INT_EQ(load(1, noargs, &s, err), -1);
	CHECK_STR_EQ(err, "Invalid REWARD_CLIENT_MODE:  (must be 'mock' or 'real')");
	setenv("REWARD_CLIENT_MODE", "mock", 1);

	/* any value whose lower-case form is not "true" turns auth off */
	setenv("PLUGIN_GRPC_SERVER_AUTH_ENABLED", "TRUE", 1);
	CHECK_INT_EQ(load(1, noargs, &s, err), 0);
	CHECK(s.auth_enabled);
	setenv("PLUGIN_GRPC_SERVER_AUTH_ENABLED", "1", 1);
	CHECK_INT_EQ(load(1, noargs, &s, err), 0);
	CHECK(!s.auth_enabled);

	/* the DB helper treats empty as unset; unparsable integers give defaults */
	setenv("DB_NAME", "", 1);
	setenv("HTTP_PORT", "not-a-number", 1);
	CHECK_INT_EQ(load(1, noargs, &s, err), 0);
	CHECK_STR_EQ(s.db_name, "challenge_service");
	CHECK_INT_EQ(s.http_port, 8000);

	/* claim transactions per shard: 1-128, else the default */
	CHECK_INT_EQ(s.tx_conns, 8);
	setenv("CHALLENGED_DB_TX_CONNS", "128", 1);
	CHECK_INT_EQ(load(1, noargs, &s, err), 0);
	CHECK_INT_EQ(s.tx_conns, SETTINGS_TX_CONNS_MAX);
	setenv("CHALLENGED_DB_TX_CONNS", "129", 1);
	CHECK_INT_EQ(load(1, noargs, &s, err), 0);
	CHECK_INT_EQ(s.tx_conns, 8);
	unsetenv("CHALLENGED_DB_TX_CONNS");

	/* the handler's CONFIG_PATH is read when CHALLENGE_CONFIG_PATH is absent */
	unsetenv("CHALLENGE_CONFIG_PATH");
	setenv("CONFIG_PATH", "/etc/c.json", 1);
	CHECK_INT_EQ(load(1, noargs, &s, err), 0);
	CHECK_STR_EQ(s.config_path, "/etc/c.json");

	/* flags override the environment */
	setenv("HTTP_PORT", "9000", 1);
	char *args[] = { "challenged", "--http-port", "9100", "--shards", "3", "--config", "x.json",
			 NULL };
	CHECK_INT_EQ(load(7, args, &s, err), 0);
	CHECK_INT_EQ(s.http_port, 9100);
	CHECK_INT_EQ(s.shards, 3);
	CHECK_STR_EQ(s.config_path, "x.json");

	char *bad_port[] = { "challenged", "--http-port", "70000", NULL };
	CHECK_INT_EQ(load(3, bad_port, &s, err), -1);
	CHECK_STR_EQ(err, "invalid --http-port '70000' (must be 0-65535)");
	char *bad_shards[] = { "challenged", "--shards", "0", NULL };
	CHECK_INT_EQ(load(3, bad_shards, &s, err), -1);
	CHECK_STR_EQ(err, "invalid --shards '0' (must be 1-256)");
	char *unknown[] = { "challenged", "--nope", NULL };
	CHECK_INT_EQ(load(2, unknown, &s, err), -1);
	CHECK_STR_EQ(err, "unknown or incomplete option '--nope' (see --help)");
	return 0;
}
