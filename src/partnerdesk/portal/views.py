"""Client portal task pages. (Scaffold: the client-UI work replaces this module.)"""

from django.http import Http404


def task_detail(request, pk):
    raise Http404
