#!/bin/sh
# First start of the compose Postgres only (docker-entrypoint-initdb.d): the two logins
# of docs/operations.md, "Database roles". retake_owner owns the database and runs
# `starter.py migrate`; retake_app is the workers' login: no DDL, no temporary tables.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v owner_password="$RETAKE_OWNER_PASSWORD" -v app_password="$RETAKE_APP_PASSWORD" <<'SQL'
CREATE ROLE retake_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE retake_app LOGIN PASSWORD :'app_password';
CREATE DATABASE retake OWNER retake_owner;
REVOKE ALL ON DATABASE retake FROM PUBLIC;
GRANT CONNECT ON DATABASE retake TO retake_app;
SQL
