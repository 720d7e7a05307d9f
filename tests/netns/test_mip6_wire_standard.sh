#!/usr/bin/env bash
# Proves: the wire and security checks of test_mip6_wire.sh (tshark's
# dissection, replayed and forged Binding Updates) hold with standard RFC
# 6275 correspondent nodes (client-agent --standard) on the clients too.
STANDARD=1 exec bash tests/netns/test_mip6_wire.sh "$@"
