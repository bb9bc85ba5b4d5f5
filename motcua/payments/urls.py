from django.urls import path

from motcua.payments import views

app_name = "payments"
urlpatterns = [
    path("thanh-toan/<str:token>/bat-dau/", views.start, name="start"),
    path("thanh-toan/ket-qua/", views.payment_return, name="return"),
    path("thanh-toan/ipn/", views.ipn, name="ipn"),
    path("thanh-toan/<str:token>/bien-lai/", views.receipt, name="receipt"),
    path("sandbox-gateway/pay", views.sandbox_pay, name="sandbox_pay"),
    path("sandbox-gateway/query", views.sandbox_query, name="sandbox_query"),
]
