import{s as o}from"./session.gTPJkOZH.js";import"./api.CkWIr3Nd.js";import"./toast.BWUEmK06.js";o();
