# Sourced by scripts/test.sh: starts the local PostgreSQL cluster and exports
# ASTERISK_CC_TEST_POSTGRES_URL for a login role made for the tests (a random password, made
# once per machine).
version=$(pg_lsclusters --no-header | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $2}')
if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    cluster=main
    pg_createcluster "$version" "$cluster" >/dev/null
fi
pg_ctlcluster "$version" "$cluster" start 2>/dev/null || true
port=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')
for _ in $(seq 1 30); do
    su postgres -c "psql -p $port -Atqc 'select 1'" >/dev/null 2>&1 && break
    sleep 1
done
# One random password per machine, kept root-only: runs that overlap (a developer's and CI's)
# then agree on it instead of each resetting it under the other.
secret_file=/var/lib/asterisk-cc/test-postgres-password
if [ ! -s "$secret_file" ]; then
    install -d -m 0700 "$(dirname "$secret_file")"
    (umask 077; python3 -c 'import secrets; print(secrets.token_hex(16))' > "$secret_file")
fi
password=$(cat "$secret_file")
su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -q" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'asterisk_cc_test') THEN
    CREATE ROLE asterisk_cc_test LOGIN CREATEDB;
  END IF;
END \$\$;
ALTER ROLE asterisk_cc_test WITH LOGIN CREATEDB PASSWORD '$password';
SQL
export ASTERISK_CC_TEST_POSTGRES_URL="postgresql+psycopg://asterisk_cc_test:$password@127.0.0.1:$port/postgres"
echo "PostgreSQL $version/$cluster on 127.0.0.1:$port"
