"""``stepforge deploy``: CloudFormation and SAM templates deployed through the API.

:mod:`template` reads a template, :mod:`parameters` and :mod:`intrinsics` resolve its values,
:mod:`graph` orders its resources; :mod:`machines`, :mod:`activities`, :mod:`versions`,
:mod:`rules` (EventBridge rules, Scheduler schedules), :mod:`events` (SAM event sources, webhooks)
and :mod:`ignored` each turn a kind of resource into units that compare themselves with the server
(:mod:`changes`) through :mod:`clients`; :mod:`plan` walks them (a preview, then the changes),
:mod:`report` shows the change set and :mod:`cli` is the command.
"""
