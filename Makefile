# Build, install and test the appliance. `make binary` on the target's architecture (see README).
PYTHON  ?= python3
PREFIX  ?= /usr/local
DESTDIR ?=
BIN     := dist/appliance
UNITDIR := /etc/systemd/system
CONFDIR := /etc/appliance
UDEVDIR := /etc/udev/rules.d
STATEDIR := /var/lib/appliance
# What `make install` puts in place and `make uninstall` takes away again.
INSTALLED := $(PREFIX)/bin/appliance $(UNITDIR)/appliance.service $(UDEVDIR)/51-android.rules

.PHONY: setup browser broker demo binary install uninstall test lint clean

# --- development: `make demo` runs the hub with simulated phones, `make test` runs the tests ---
# Both start from a fresh Debian-like machine: they install adb (Debian package) and a venv.
VENV    ?= .venv
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v adb >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq adb; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

# The console's browser tests drive Debian's chromium through Playwright (pip, in the venv);
# Playwright never downloads a browser of its own.
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

# The fleet's tests start Debian's Mosquitto broker (and its mosquitto_passwd) on a free port.
broker:
	@{ command -v mosquitto || test -x /usr/sbin/mosquitto; } >/dev/null && command -v mosquitto_passwd >/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq mosquitto mosquitto-clients; }

demo: setup
	$(VENV)/bin/appliance demo

binary: $(BIN)

$(BIN): build.spec pyproject.toml $(shell find appliance -type f -not -name '*.pyc')
	$(PYTHON) -m PyInstaller --noconfirm --clean build.spec
	./$(BIN) --version

# Needs root. Keeps an existing /etc/appliance/appliance.toml (the administrator's edits).
install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/appliance
	install -D -m 0644 systemd/appliance.service $(DESTDIR)$(UNITDIR)/appliance.service
	install -D -m 0644 config/51-android.rules $(DESTDIR)$(UDEVDIR)/51-android.rules
	@if [ -e $(DESTDIR)$(CONFDIR)/appliance.toml ]; then \
		echo "keeping existing $(DESTDIR)$(CONFDIR)/appliance.toml"; \
	else \
		install -D -m 0644 config/appliance.toml $(DESTDIR)$(CONFDIR)/appliance.toml; \
	fi
	@if [ -z "$(DESTDIR)" ]; then \
		getent group plugdev >/dev/null || groupadd --system plugdev; \
		id -u appliance >/dev/null 2>&1 || useradd --system --user-group --groups plugdev \
			--home-dir /var/lib/appliance --no-create-home --shell /usr/sbin/nologin appliance; \
		id -nG appliance | grep -qw plugdev || usermod -a -G plugdev appliance; \
		udevadm control --reload-rules 2>/dev/null && udevadm trigger --subsystem-match=usb || true; \
		systemctl daemon-reload || true; \
		echo "installed: start with 'sudo systemctl enable --now appliance', then 'appliance doctor'"; \
	fi

# Needs root. Keeps the operator's config and data (store, token, adb key, backups) unless
# PURGE=1, which also removes the service user.
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		systemctl disable --now appliance.service 2>/dev/null && echo "stopped and disabled appliance.service" || true; \
	fi
	@for f in $(INSTALLED); do \
		if [ -e "$(DESTDIR)$$f" ]; then rm -f "$(DESTDIR)$$f" && echo "removed $(DESTDIR)$$f"; fi; \
	done
	@if [ -z "$(DESTDIR)" ]; then \
		systemctl daemon-reload 2>/dev/null || true; \
		udevadm control --reload-rules 2>/dev/null || true; \
	fi
	@if [ "$(PURGE)" = 1 ]; then \
		for d in $(CONFDIR) $(STATEDIR); do \
			if [ -e "$(DESTDIR)$$d" ]; then rm -rf "$(DESTDIR)$$d" && echo "purged $(DESTDIR)$$d"; fi; \
		done; \
		if [ -z "$(DESTDIR)" ] && id -u appliance >/dev/null 2>&1; then \
			userdel appliance && echo "removed the user appliance"; \
		fi; \
	else \
		for d in $(CONFDIR)/appliance.toml $(STATEDIR); do \
			if [ -e "$(DESTDIR)$$d" ]; then echo "kept $(DESTDIR)$$d (your config or data; 'sudo make uninstall PURGE=1' removes it too)"; fi; \
		done; \
	fi

test: setup browser broker
	$(VENV)/bin/python -m pytest -q

# The gates CI runs before the tests: ruff (lint) and mypy (types); config in pyproject.toml.
lint: setup
	$(VENV)/bin/ruff check appliance tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf build dist $(VENV)
