/* golang-migrate's advisory lock id must match exactly, or the reference and
 * challenged would migrate the same database at once. Expected values were
 * computed independently (Python zlib.crc32 of "public\0schema_migrations\0db"
 * times 1486364155 mod 2^32). */
#include "challenged/db.h"
#include "check.h"

int main(void)
{
	CHECK_INT_EQ(db_advisory_lock_id("challenge_service", "public", "schema_migrations"),
		     3563782635u);
	CHECK_INT_EQ(db_advisory_lock_id("testdb", "public", "schema_migrations"), 1347737889u);

	char info[512];
	db_conninfo(info, sizeof(info), "db.local", "10.0.0.1", "5432", "x", "u", "p'w\\d",
		    "disable");
	CHECK_STR_EQ(info, "host='db.local' hostaddr='10.0.0.1' port='5432' dbname='x' user='u' "
			   "password='p\\'w\\\\d' sslmode='disable' application_name='challenged' "
			   "options='-c DateStyle=ISO'");
	db_conninfo(info, sizeof(info), "/run/pg", NULL, "5432", "x", "u", "", "disable");
	CHECK_STR_EQ(info, "host='/run/pg' port='5432' dbname='x' user='u' sslmode='disable' "
			   "application_name='challenged' options='-c DateStyle=ISO'");
	return 0;
}
