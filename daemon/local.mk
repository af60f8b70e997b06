EXTRA_DIST += daemon/org.hvd1.xml
