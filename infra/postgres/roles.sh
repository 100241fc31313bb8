#!/bin/sh
# The role split the RLS design needs (docs/operations.md):
#  - pitstop_owner owns the schema and tables; only `pitstop migrate` connects as it.
#  - pitstop_app serves traffic: owns nothing, NOBYPASSRLS, and gets its grants from
#    `pitstop migrate` (DML on every table; INSERT/SELECT only on audit_log).
set -eu
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE ROLE pitstop_owner LOGIN PASSWORD '${PITSTOP_OWNER_PASSWORD}';
CREATE ROLE pitstop_app LOGIN PASSWORD '${PITSTOP_APP_PASSWORD}'
  NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE pitstop OWNER pitstop_owner;
\connect pitstop
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO pitstop_owner;
SQL
