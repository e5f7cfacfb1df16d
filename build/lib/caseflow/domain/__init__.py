"""The pure core: lifecycle state machine, working calendar, indicators, schemes, alert planning.

Nothing here reads a clock, the environment, files or the network. Instants are integer
milliseconds since the Unix epoch (UTC); local time is Asia/Shanghai, a fixed UTC+8.
"""
