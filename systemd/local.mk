# systemd: the unit, D-Bus policy and activation file, sysusers and tmpfiles snippets
systemdsystemunit_DATA += systemd/hvd.service
dbuspolicy_DATA += systemd/org.hvd1.conf
dbussystemservice_DATA += systemd/org.hvd1.service
sysusers_DATA += systemd/sysusers.d/hvd.conf
tmpfiles_DATA += systemd/tmpfiles.d/hvd.conf
EXTRA_DIST += systemd/hvd.service.in systemd/org.hvd1.conf systemd/org.hvd1.service systemd/hvd.sysusers systemd/hvd.tmpfiles
CLEANFILES += systemd/hvd.service systemd/sysusers.d/hvd.conf systemd/tmpfiles.d/hvd.conf

systemd/hvd.service: $(top_srcdir)/systemd/hvd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && sed -e 's|@sbindir[@]|$(sbindir)|g' $< >$@.tmp && mv $@.tmp $@
# installed as hvd.conf in sysusers.d and tmpfiles.d, the names those directories expect
systemd/sysusers.d/hvd.conf: $(top_srcdir)/systemd/hvd.sysusers
	$(AM_V_GEN)$(MKDIR_P) systemd/sysusers.d && cp $< $@
systemd/tmpfiles.d/hvd.conf: $(top_srcdir)/systemd/hvd.tmpfiles
	$(AM_V_GEN)$(MKDIR_P) systemd/tmpfiles.d && cp $< $@
