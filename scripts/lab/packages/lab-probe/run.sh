#!/bin/sh
# Before the restart, in the lab initramfs: reads a variable of the run and sets another, which
# the step after the restart reads back (tsvar = PMM_TS_VARIABLE_UTIL).
name=`"${PMM_TS_VARIABLE_UTIL}" --get OSDComputerName`
echo "NETBOOT-LAB-MARKER probe: OSDComputerName=$name target-hostname=$(cat /target/etc/hostname 2>/dev/null)" > /dev/console
"${PMM_TS_VARIABLE_UTIL}" --set LabStage=imaged-$name
