# systemd: rules owned by this area; see Makefile.am
