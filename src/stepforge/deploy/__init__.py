"""``stepforge deploy``: CloudFormation and SAM templates deployed through the API.

:mod:`template` reads a template, :mod:`parameters` and :mod:`intrinsics` resolve its values,
:mod:`graph` orders its resources, :mod:`machines`, :mod:`activities`, :mod:`versions` and
:mod:`events` each turn a kind of resource into a unit that compares itself with the server,
:mod:`plan` walks them (a preview, then the changes), :mod:`report` shows the change set.
"""
