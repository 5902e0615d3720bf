"""A throwaway PostgreSQL server for the tests of the results store on PostgreSQL.

Debian's `postgresql` package puts initdb and pg_ctl under /usr/lib/postgresql/<version>/bin. The server
runs from a fresh folder under /tmp, listens on a free TCP port of 127.0.0.1 (never a fixed one) and on a
Unix socket in that folder, and is stopped and removed by stop(). Over TCP the user `seedval` logs in
with a password (SCRAM), as a station would; psql here uses the socket, where it is trusted. As root (CI),
initdb and pg_ctl run as the `postgres` user, which owns the folder: initdb refuses root. Without the
server binaries the tests that need one fail, saying what to install; they never skip.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import pytest

USER = "seedval"
PASSWORD = "seedval-test-pw"


def server_binaries():
    env = os.environ.get("SEEDVAL_PG_BIN")
    if env:
        return env
    found = [d for d in glob.glob("/usr/lib/postgresql/*/bin")
             if os.path.exists(os.path.join(d, "initdb")) and os.path.exists(os.path.join(d, "pg_ctl"))]
    if not found:
        pytest.fail("the PostgreSQL tests need a PostgreSQL server: no initdb and pg_ctl under "
                    "/usr/lib/postgresql/*/bin; install Debian's postgresql package (./dev setup does)")
    return max(found, key=lambda d: int(os.path.basename(os.path.dirname(d)).split(".")[0]))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        self.bin = server_binaries()
        self.folder = tempfile.mkdtemp(prefix="seedval-pg-py-")
        self.running = False
        self.port = None
        try:
            if os.geteuid() == 0:
                try:
                    pw = pwd.getpwnam("postgres")
                except KeyError:
                    pytest.fail("running as root, and initdb refuses root, but there is no `postgres` user "
                                "to run it as (Debian's postgresql package creates it)")
                os.chown(self.folder, pw.pw_uid, pw.pw_gid)
            data = os.path.join(self.folder, "data")
            password_file = os.path.join(self.folder, "password")
            with open(password_file, "w", encoding="utf-8") as f:
                f.write(PASSWORD + "\n")
            os.chmod(password_file, 0o644)
            self._run([os.path.join(self.bin, "initdb"), "-D", data, "-U", USER, "--pwfile", password_file,
                       "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
                      "initdb")
            last = ""
            for _ in range(5):  # a port free a moment ago may be taken before the server binds it
                self.port = free_port()
                options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
                done = self._run([os.path.join(self.bin, "pg_ctl"), "-D", data, "-l",
                                  os.path.join(self.folder, "server.log"), "-w", "-t", "60", "-o", options, "start"],
                                 None)
                if done.returncode == 0:
                    self.running = True
                    break
                last = done.stdout + done.stderr
            if not self.running:
                pytest.fail(f"the PostgreSQL test server did not start: {last}")
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def _run(self, argv, what):
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        done = subprocess.run(argv, capture_output=True, text=True, cwd="/", timeout=120)
        if what and done.returncode != 0:
            pytest.fail(f"PostgreSQL test server: {what} failed ({' '.join(argv)}):\n{done.stdout}{done.stderr}")
        return done

    def uri(self, db, password=PASSWORD):
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{db}"

    def shown(self, db):
        """How seedval names the server in messages: without the password."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{db}"

    def psql(self, db, sql, check=True):
        """Runs one SQL command on `db`; returns its rows as lists of strings (None if it failed and not
        `check`)."""
        psql = os.path.join(self.bin, "psql")
        done = subprocess.run([psql if os.path.exists(psql) else "psql", "-X", "-q", "-A", "-t", "-F", "\t",
                               "-v", "ON_ERROR_STOP=1", "-h", self.folder, "-p", str(self.port), "-U", USER,
                               "-d", db, "-c", sql], capture_output=True, text=True, timeout=60)
        if done.returncode != 0 and not check:
            return None
        assert done.returncode == 0, f"psql -c {sql!r}: {done.stderr}"
        return [line.split("\t") for line in done.stdout.splitlines() if line]

    def create_database(self, name):
        self.psql("postgres", f"CREATE DATABASE {name}")
        return self.uri(name)

    def stop(self):
        if self.running:
            self._run([os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.folder, "data"), "-m", "immediate",
                       "-w", "stop"], None)
            self.running = False
        shutil.rmtree(self.folder, ignore_errors=True)
