from .views import awards, member, public

app_name = "committee"

# The public addresses (/publicity/<cycle>/, /winners/, /verify/<serial>/) are printed on paper: never rename them.
urlpatterns = [*member.urlpatterns, *public.urlpatterns, *awards.urlpatterns]
