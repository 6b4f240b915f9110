#!/bin/sh
# After the restart, on the deployed disk: the variable set before the restart is still there.
stage=`"${PMM_TS_VARIABLE_UTIL}" --get LabStage`
echo "NETBOOT-LAB-MARKER after-restart: hostname=$(hostname) LabStage=$stage" > /dev/console
